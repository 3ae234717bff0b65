"""The Redis Cluster layer: PKI, per-node Redis configuration, Compose services,
bootstrap scripts, readiness rules, status, and the one way to reach the cluster.

Modules: `access` (the `ClusterAccess` interface: exec on a node, readiness, status,
clients, probing and purging keys, and what a mode cannot do), `managed` and
`external_access` (its two implementations), `open` (the only place that looks at
`redis.mode`), `external` (the probe scripts an existing cluster is asked with),
`pki` (CA, node and client certificates), `redis_conf` (redis.conf, ACL file, password
files), `compose` (the cluster's Compose services), `readiness` (parsing of CLUSTER INFO /
CLUSTER NODES / INFO replication and the ready rule), `status` (per-node status).
"""
