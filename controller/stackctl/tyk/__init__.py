"""All Tyk knowledge as data (`tables`), its indexes (`lookup`), the Redis-connection model,
the per-component renderers and the support-matrix gate.

Renderers, `stackctl lint` and the start-up fallback/diagnosis read the same tables.
"""
