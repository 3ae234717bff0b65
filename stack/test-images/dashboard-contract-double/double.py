"""dashboard-contract-double: a TEST DOUBLE of the Tyk Dashboard (closed source), for tests only.

It serves the contract stackctl relies on and nothing more:
- what a Dashboard-mode gateway calls (tyk gateway/dashboard_register.go, server.go):
  /register/node, /register/ping, /system/node, /system/apis, /system/policies,
  /system/key/quota_trigger, each checked as the real Dashboard does: `authorization` must
  be the shared node secret; after registration `x-tyk-nodeid` must name a registered
  node and `x-tyk-nonce` one of the nonces last handed to it (403 otherwise);
- the Admin API (`admin-auth` = admin_secret) and Dashboard API (`authorization` = a user's
  access key) calls of the pro bootstrap: organisations, users, password reset, APIs,
  policies, keys. Keys are made as the real Dashboard makes them: through the gateway API
  (tyk_api_config Host/Port/Secret), so a wrong pairing fails here as it would there.

Configuration is read like the Dashboard's: tyk_analytics.conf (--conf), then TYK_DB_*
overrides. It refuses to start without a licence (license_key) and without the secrets.
State lives in memory. GET /stackctl-double/calls (admin-auth) lists the calls it answered.
Node answers are NodeResponseOK (Status, Message: a string map, Nonce): the gateway decodes
them so (found by running the real gateway against this double).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ENV = {"listen_port": "TYK_DB_LISTENPORT", "admin_secret": "TYK_DB_ADMINSECRET",
       "shared_node_secret": "TYK_DB_NODESECRET", "license_key": "TYK_DB_LICENSEKEY",
       "tyk_api_config.Host": "TYK_DB_TYKAPI_HOST", "tyk_api_config.Port": "TYK_DB_TYKAPI_PORT",
       "tyk_api_config.Secret": "TYK_DB_TYKAPI_SECRET"}
"""The Dashboard's names for what the double reads (the same as stackctl's tables)."""
ADMIN_HEADER = "admin-auth"
AUTH_HEADER = "authorization"
NODE_ID_HEADER = "x-tyk-nodeid"
NONCE_HEADER = "x-tyk-nonce"
GATEWAY_AUTH_HEADER = "x-tyk-authorization"
NONCES_KEPT = 4
"""Nonces a node may answer with: a heartbeat and a reload can race on the same one."""
NODE_ROUTES = ("/register/node", "/register/ping", "/system/node", "/system/apis",
               "/system/policies", "/system/key/quota_trigger")


def object_id() -> str:
    """A 24-hex id, as the Dashboard's (a gateway parses policy ids as ObjectIds)."""
    return secrets.token_hex(12)


def load_config(path: str | None) -> dict[str, Any]:
    """Flat dotted keys from the conf file, TYK_DB_* on top."""
    flat: dict[str, Any] = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)

        def walk(node: dict[str, Any], prefix: str = "") -> None:
            for key, value in node.items():
                if isinstance(value, dict):
                    walk(value, f"{prefix}{key}.")
                else:
                    flat[prefix + key] = value

        walk(doc)
    for key, env in ENV.items():
        if os.environ.get(env):
            flat[key] = os.environ[env]
    return flat


class State:
    """Everything the double knows, behind one lock."""

    def __init__(self, conf: dict[str, Any]) -> None:
        self.conf = conf
        self.lock = threading.Lock()
        self.orgs: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.apis: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.nodes: dict[str, list[str]] = {}  # node id -> nonces last handed out
        self.calls: list[dict[str, Any]] = []

    def nonce(self, node: str) -> str:
        value = secrets.token_hex(8)
        kept = self.nodes.setdefault(node, [])
        kept.append(value)
        del kept[:-NONCES_KEPT]
        return value


class Handler(BaseHTTPRequestHandler):
    server_version = "dashboard-contract-double"
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        sys.stdout.write("dashboard-contract-double: " + (format % args) + "\n")

    # --- plumbing --------------------------------------------------------------------

    def _body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def _send(self, status: int, doc: Any) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, status: int, who: str) -> None:
        with self.state.lock:
            self.state.calls.append({"method": self.command, "path": self.path,
                                     "status": status, "who": who, "at": time.time()})

    def _reply(self, status: int, doc: Any, who: str = "") -> None:
        self._record(status, who)
        self._send(status, doc)

    def _error(self, status: int, message: str, who: str = "") -> None:
        self._reply(status, {"Status": "Error", "Message": message, "Meta": None}, who)

    def _user(self) -> dict[str, Any] | None:
        key = self.headers.get(AUTH_HEADER, "")
        with self.state.lock:
            return next((u for u in self.state.users.values() if key and
                         secrets.compare_digest(u["access_key"], key)), None)

    def _admin_ok(self) -> bool:
        given = self.headers.get(ADMIN_HEADER, "")
        return bool(given) and secrets.compare_digest(given, self.state.conf["admin_secret"])

    def _node_ok(self) -> bool:
        given = self.headers.get(AUTH_HEADER, "")
        return bool(given) and secrets.compare_digest(
            given, self.state.conf["shared_node_secret"])

    def _route(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/hello":
            self._reply(200, {"status": "ok", "message": "dashboard-contract-double"})
        elif path in NODE_ROUTES or path.startswith("/system/"):
            self._node(path)
        elif path.startswith("/admin/") or path == "/stackctl-double/calls":
            if not self._admin_ok():
                self._error(403, "Not authorised", "admin?")
            else:
                self._admin(path)
        elif path.startswith("/api/"):
            user = self._user()
            if user is None:
                self._error(401, "Not authorised", "user?")
            else:
                self._api(path, user)
        else:
            self._error(404, "Not found")

    do_GET = do_POST = do_PUT = do_DELETE = _route

    # --- what a Dashboard-mode gateway calls -------------------------------------------

    def _node(self, path: str) -> None:
        if not self._node_ok():
            self._error(403, "Node secret is not valid", "node?")
            return
        if path == "/register/node" and self.command == "GET":
            node = object_id()
            with self.state.lock:
                nonce = self.state.nonce(node)
            self._reply(200, {"Status": "OK", "Message": {"NodeID": node}, "Nonce": nonce},
                        f"node {node}")
            return
        node = self.headers.get(NODE_ID_HEADER, "")
        nonce = self.headers.get(NONCE_HEADER, "")
        with self.state.lock:
            known = self.state.nodes.get(node)
            valid = known is not None and nonce in known
            fresh = self.state.nonce(node) if valid else ""
            apis = [{"api_definition": a, "oas": None} for a in self.state.apis.values()]
            policies = list(self.state.policies.values())
        if not valid:
            self._error(403, "Nonce failed" if known is not None else "Node not registered",
                        f"node {node or '?'}")
            return
        who = f"node {node}"
        if path == "/register/ping" and self.command == "GET":
            self._reply(200, {"Status": "OK", "Message": {}, "Nonce": fresh}, who)
        elif path == "/system/apis" and self.command == "GET":
            self._reply(200, {"Message": apis, "Nonce": fresh}, who)
        elif path == "/system/policies" and self.command == "GET":
            self._reply(200, {"Message": policies, "Nonce": fresh}, who)
        elif path == "/system/node" and self.command == "DELETE":
            with self.state.lock:
                self.state.nodes.pop(node, None)
            self._reply(200, {"Status": "OK", "Message": {}, "Nonce": fresh}, who)
        elif path == "/system/key/quota_trigger" and self.command == "POST":
            self._body()
            self._reply(200, {"Status": "OK", "Message": {}, "Nonce": fresh}, who)
        else:
            self._error(404, "Not found", who)

    # --- Admin API ---------------------------------------------------------------------

    def _admin(self, path: str) -> None:
        body = self._body() if self.command == "POST" else {}
        if body is None:
            self._error(400, "Malformed request body", "admin")
            return
        if path == "/stackctl-double/calls":
            with self.state.lock:
                self._send(200, {"calls": list(self.state.calls)})
            return
        if path == "/admin/organisations" and self.command == "GET":
            with self.state.lock:
                orgs = list(self.state.orgs.values())
            self._reply(200, {"organisations": orgs, "pages": 0}, "admin")
        elif path == "/admin/organisations" and self.command == "POST":
            if not body.get("owner_name"):
                self._error(400, "owner_name is required", "admin")
                return
            org = {"id": object_id(), "owner_name": body["owner_name"],
                   "owner_slug": body.get("owner_slug", ""), "apis": []}
            with self.state.lock:
                self.state.orgs[org["id"]] = org
            self._reply(200, {"Status": "OK", "Message": "Org created", "Meta": org["id"]},
                        "admin")
        elif path == "/admin/users" and self.command == "POST":
            org_id, email = body.get("org_id", ""), body.get("email_address", "")
            with self.state.lock:
                if org_id not in self.state.orgs:
                    self._error(400, "Org not found", "admin")
                    return
                if any(u["email_address"] == email for u in self.state.users.values()):
                    self._error(400, "User email already exists for this Org", "admin")
                    return
                user = {"id": object_id(), "org_id": org_id, "email_address": email,
                        "first_name": body.get("first_name", ""),
                        "last_name": body.get("last_name", ""), "active": True,
                        "access_key": secrets.token_hex(16), "password": None,
                        "user_permissions": body.get("user_permissions", {})}
                self.state.users[user["id"]] = user
            shown = {k: v for k, v in user.items() if k != "password"}
            self._reply(200, {"Status": "OK", "Message": user["access_key"], "Meta": shown},
                        "admin")
        else:
            self._error(404, "Not found", "admin")

    # --- Dashboard API -----------------------------------------------------------------

    def _api(self, path: str, user: dict[str, Any]) -> None:
        body = self._body() if self.command in ("POST", "PUT") else {}
        who = f"user {user['id']}"
        if body is None:
            self._error(400, "Malformed request body", who)
            return
        parts = path.strip("/").split("/")
        org = user["org_id"]
        if parts[:2] == ["api", "users"] and len(parts) >= 3:
            if parts[2] != user["id"]:
                self._error(404, "User not found", who)
            elif len(parts) == 3 and self.command == "GET":
                self._reply(200, {k: v for k, v in user.items() if k != "password"}, who)
            elif parts[3:] == ["actions", "reset"] and self.command == "POST":
                if not body.get("new_password"):
                    self._error(400, "new_password is required", who)
                    return
                with self.state.lock:
                    user["password"] = "set"
                self._reply(200, {"Status": "OK", "Message": "User password updated",
                                  "Meta": None}, who)
            else:
                self._error(404, "Not found", who)
        elif parts == ["api", "apis"] and self.command == "GET":
            with self.state.lock:
                mine = [{"api_definition": a} for a in self.state.apis.values()
                        if a["org_id"] == org]
            self._reply(200, {"apis": mine, "pages": 1}, who)
        elif parts == ["api", "apis"] and self.command == "POST":
            definition = body.get("api_definition")
            if not isinstance(definition, dict) or not definition.get("api_id"):
                self._error(400, "api_definition with an api_id is required", who)
                return
            dash_id = object_id()
            with self.state.lock:
                self.state.apis[dash_id] = {**definition, "id": dash_id, "org_id": org}
            self._reply(200, {"Status": "OK", "Message": "API created", "Meta": dash_id}, who)
        elif parts[:2] == ["api", "apis"] and len(parts) == 3 and self.command == "DELETE":
            with self.state.lock:
                gone = self.state.apis.pop(parts[2], None)
            if gone is None:
                self._error(404, "API not found", who)
            else:
                self._reply(200, {"Status": "OK", "Message": "API deleted", "Meta": None}, who)
        elif parts == ["api", "portal", "policies"] and self.command == "GET":
            with self.state.lock:
                mine = [p for p in self.state.policies.values() if p["org_id"] == org]
            self._reply(200, {"Data": mine, "Pages": 0}, who)
        elif parts == ["api", "portal", "policies"] and self.command == "POST":
            if not body.get("name"):
                self._error(400, "a policy needs a name", who)
                return
            pol_id = object_id()
            with self.state.lock:
                self.state.policies[pol_id] = {**body, "_id": pol_id, "id": "", "org_id": org}
            self._reply(200, {"Status": "OK", "Message": pol_id, "Meta": None}, who)
        elif parts == ["api", "keys"] and self.command == "POST":
            self._create_key({**body, "org_id": org}, who)
        else:
            self._error(404, "Not found", who)

    def _create_key(self, session: dict[str, Any], who: str) -> None:
        """As the real Dashboard: the gateway API makes the key (tyk_api_config)."""
        conf = self.state.conf
        url = f"{conf['tyk_api_config.Host']}:{conf['tyk_api_config.Port']}/tyk/keys/create"
        request = urllib.request.Request(url, data=json.dumps(session).encode(), method="POST",
                                         headers={GATEWAY_AUTH_HEADER:
                                                  conf["tyk_api_config.Secret"],
                                                  "content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                made = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            self._error(500, f"gateway answered {exc.code}: {exc.read()[:200]!r}", who)
            return
        except (OSError, ValueError) as exc:
            self._error(500, f"gateway unreachable: {exc}", who)
            return
        self._reply(200, {"api_model": {}, "key_id": made.get("key"),
                          "key_hash": made.get("key_hash", ""), "data": session}, who)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", default="/opt/tyk-dashboard/tyk_analytics.conf")
    args = parser.parse_args()
    conf = load_config(args.conf)
    missing = [k for k in ("license_key", "admin_secret", "shared_node_secret",
                           "tyk_api_config.Host", "tyk_api_config.Port",
                           "tyk_api_config.Secret") if not conf.get(k)]
    if missing:
        print(f"dashboard-contract-double: refusing to start: no {', '.join(missing)}",
              file=sys.stderr)
        return 1
    Handler.state = State(conf)
    port = int(conf.get("listen_port") or 3000)
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"dashboard-contract-double: listening on :{port}")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
