"""Compose rendering: the stack's compose file and its parts (cluster, profile pro, external
Redis, the checked-in reference stack)."""
