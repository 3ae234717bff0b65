"""`stackctl smoke`: real load through the gateway, verified end to end.

`setup` creates and removes the API and keys, `run` drives one run, `checks` judges
measurements, `expect` holds the rate-limit arithmetic, `analytics` counts the pump's
csv records, `redis_probe` finds keys on the primaries, `slo` parses objectives, and
`report` renders the verdict.
"""
