"""The Redis Cluster layer: PKI, per-node Redis configuration, Compose services,
bootstrap scripts, readiness rules and status.

Modules: `pki` (CA, node and client certificates), `redis_conf` (redis.conf, ACL file,
password files), `compose` (the cluster's Compose services), `readiness` (parsing of
CLUSTER INFO / CLUSTER NODES / INFO replication and the ready rule), `status` (per-node
status read through the containers).
"""
