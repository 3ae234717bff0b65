"""`stackctl smoke`: real load through the gateway, verified end to end (keys and API, the
run, its checks, the rate-limit arithmetic, the pump's records, the keys in Redis, SLOs
and the report)."""
