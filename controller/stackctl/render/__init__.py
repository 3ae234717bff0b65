"""Compose rendering: the stack's compose file and its parts.

`stack` (the whole file: cluster + Tyk), `cluster` (the Redis Cluster's services), `pro`
(profile pro: dashboard and PostgreSQL), `external` (redis.mode = external), `reference`
(the checked-in compose/ stack for plain `docker compose`).
"""
