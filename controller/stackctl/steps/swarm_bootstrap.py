"""Swarm bootstrap: the smoke API is already in every gateway task (a Swarm config);
create (or reuse) its key in Redis and prove one request flows end to end."""

from __future__ import annotations

import time

from stackctl.context import StackContext
from stackctl.errors import StepError, ToolError

SERVE_TIMEOUT_S = 20.0


class SwarmBootstrap:
    """A key for the baked-in smoke API; one request through the gateway answers 200."""

    name = "bootstrap"

    def run(self, ctx: StackContext) -> str:
        from stackctl.clients.gateway import GatewayClient
        from stackctl.state import atomic_write_json
        from stackctl.steps.bootstrap import (
            API_ID,
            BOOTSTRAP_FILE,
            LISTEN_PATH,
            UPSTREAM_MARK,
            _load,
            _through_gateway,
            _works,
            smoke_session,
        )

        path = ctx.state_dir / BOOTSTRAP_FILE
        saved = _load(path)
        if saved and _works(ctx.gateway_url, saved["key"]):
            return f"reused API {API_ID} and its key"
        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                key = gw.create_key(smoke_session())
            deadline = time.monotonic() + SERVE_TIMEOUT_S
            status, body = _through_gateway(ctx.gateway_url, key)
            while status != 200 and time.monotonic() < deadline:
                time.sleep(0.5)
                status, body = _through_gateway(ctx.gateway_url, key)
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl logs gateway`") from None
        if status != 200 or UPSTREAM_MARK not in body:
            raise StepError(self.name, f"request through the gateway got HTTP {status}: "
                            f"{body.strip()[:120]}", "see `stackctl logs gateway upstream`")
        atomic_write_json(path, {"api_id": API_ID, "listen_path": LISTEN_PATH, "key": key},
                          0o600)
        return f"a key for API {API_ID} created; request through the gateway answered 200"
