"""A Dashboard-mode gateway's API definitions go through the Dashboard (the gateway API
refuses them): a gateway client doing so, whose keys carry the organisation's id."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from stackctl.clients.dashboard import DashboardClient, DashboardError
from stackctl.clients.gateway import GatewayClient


class DashboardModeGateway(GatewayClient):
    """`GatewayClient` for profile pro: APIs through the Dashboard (`dash`), keys as before."""

    def __init__(self, base_url: str, secret: SecretStr | None, dash: DashboardClient,
                 org_id: str) -> None:
        super().__init__(base_url, secret)
        self._dash = dash
        self._org = org_id
        self._ids: dict[str, str] = {}

    def create_api(self, definition: dict[str, Any]) -> str:
        """POST /api/apis on the Dashboard; the gateway serves it after a reload."""
        api_id = str(definition["api_id"])
        self._ids[api_id] = self._dash.create_api({**definition, "org_id": self._org})
        return api_id

    def delete_api(self, api_id: str) -> None:
        """DELETE /api/apis/{id} on the Dashboard (the id from create_api, else looked up)."""
        dash_id = self._ids.pop(api_id, None)
        if dash_id is None:
            found = [a for a in self._dash.apis() if a.get("api_id") == api_id]
            if not found:
                raise DashboardError(f"dashboard: no API {api_id} to delete",
                                     self._dash.base_url, 404)
            dash_id = str(found[0].get("id") or "")
        self._dash.delete_api(dash_id)

    def create_key_hashed(self, session: dict[str, Any]) -> tuple[str, str]:
        """Keys through the gateway API, in the Dashboard organisation."""
        return super().create_key_hashed({**session, "org_id": self._org})

    def close(self) -> None:
        """Release both clients' pools."""
        self._dash.close()
        super().close()
