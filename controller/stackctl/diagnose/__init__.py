"""Diagnosis of a Redis start-up failure, probed from inside the stack's Redis network.

Modules: `config` (each component's effective Redis settings and mounts, read from the
rendered files), `script` (the probe run in a one-shot container), `probes` (small
functions turning probe output and files into findings), `certs` (certificate checks on
the stack's own PKI files), `causes` (the ranked table of causes and fixes), `run`
(orchestration), `report` (the human view).
"""
