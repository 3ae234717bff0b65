"""The Redis Cluster layer: PKI, per-node configuration, readiness rules, status, and the
one way to reach the cluster (`access.ClusterAccess`, managed or external)."""
