"""Load engines: `builtin` (asyncio + aiohttp, open model) and `wrk` (host or container).

The only package that starts load. `plan` holds what is asked and what was measured,
`stats` the percentile math, `builtin` and `wrk` the engines.
"""

from stackctl.load.plan import LoadPlan, LoadResult

ENGINES = ("builtin", "wrk")

__all__ = ["ENGINES", "LoadPlan", "LoadResult"]
