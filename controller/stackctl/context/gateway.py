"""The gateway client for this stack: plain in oss; in pro, API definitions go through the
Dashboard as the bootstrap's admin user (`dashboard.apis`)."""

from __future__ import annotations

from stackctl.clients.dashboard import DashboardClient
from stackctl.clients.gateway import GatewayClient
from stackctl.context.stack import StackContext
from stackctl.dashboard.apis import DashboardModeGateway
from stackctl.dashboard.credentials import credentials_path, load_credentials
from stackctl.errors import ConfigError


def stack_gateway(ctx: StackContext) -> GatewayClient:
    """A client for the stack's gateway API (close it, or use it in `with`)."""
    if ctx.model.settings.profile != "pro":
        return GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret)

    creds = load_credentials(ctx.state_dir)
    if creds is None:
        raise ConfigError(str(credentials_path(ctx.state_dir)),
                          "has no Dashboard admin credentials (profile pro)",
                          "run `stackctl up --profile pro` (its bootstrap makes them)")
    s = ctx.model.settings
    dash = DashboardClient(f"http://{s.network.bind}:{s.dashboard.port}", None,
                           creds.access_key)
    return DashboardModeGateway(ctx.gateway_url, ctx.secrets.gateway_secret, dash,
                                creds.org_id)
