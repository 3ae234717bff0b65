"""Swarm bootstrap: the smoke API is already in every gateway task (a Swarm config);
create (or reuse) its key in Redis and prove one request flows end to end."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.errors import StepError, ToolError

SERVE_TIMEOUT_S = 20.0


class SwarmBootstrap:
    """A key for the baked-in smoke API; one request through the gateway answers 200."""

    name = "bootstrap"

    def run(self, ctx: StackContext) -> str:
        from stackctl.clients.gateway import GatewayClient
        from stackctl.steps.bootstrap import (
            API_ID,
            BOOTSTRAP_FILE,
            _load,
            _works,
            prove_and_save,
            smoke_session,
        )

        path = ctx.state_dir / BOOTSTRAP_FILE
        saved = _load(path)
        if saved and _works(ctx.gateway_url, saved["key"]):
            return f"reused API {API_ID} and its key"
        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                key = gw.create_key(smoke_session())
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl logs gateway`") from None
        prove_and_save(ctx, self.name, key, SERVE_TIMEOUT_S)
        return f"a key for API {API_ID} created; request through the gateway answered 200"
