"""Load engines, the only package that starts load: `builtin` (asyncio + uvloop, raw
HTTP/1.1, open model) and `wrk`."""

from stackctl.load.plan import LoadPlan, LoadResult

ENGINES = ("builtin", "wrk")

__all__ = ["ENGINES", "LoadPlan", "LoadResult"]
