"""All Tyk knowledge as data (`tables`) and its indexes, the Redis-connection model, the
per-component renderers and the support-matrix gate."""
