"""One engine under every action: the `Engine` interface (`base`), its two
implementations (`compose`, `swarm`) and the factory that picks one (`factory`)."""

from stackctl.engine.base import Engine, LoadApi, LoadSite, ServiceRow, refuse
from stackctl.engine.factory import engine_for

__all__ = ["Engine", "LoadApi", "LoadSite", "ServiceRow", "engine_for", "refuse"]
