"""Diagnosis of a Redis start-up failure, probed from inside the stack's Redis network:
each component's effective settings, a probe script, certificate checks, and the ranked
table of causes and fixes."""
