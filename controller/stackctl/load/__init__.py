"""Load engines: `builtin` (asyncio + uvloop, raw HTTP/1.1, open model) and `wrk`.

The only package that starts load. `plan` holds what is asked and what was measured,
`stats` the percentile math, `builtin` and `wrk` the engines.
"""

from stackctl.load.plan import LoadPlan, LoadResult

ENGINES = ("builtin", "wrk")

__all__ = ["ENGINES", "LoadPlan", "LoadResult"]
