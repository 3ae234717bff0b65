"""The local access proxy: with nothing published (the routing mesh would listen on every
interface of every node), the host reaches the gateway through nginx (the upstream image)
on the attachable front overlay, published on `network.bind` only, forwarding to the
gateway's tasks by name (Docker's DNS, round-robin)."""

from __future__ import annotations

from pathlib import Path

from stackctl.model import StackModel
from stackctl.names import FRONT_NETWORK, OWNER_LABEL, ROLE_LABEL
from stackctl.render.tyk import GATEWAY_PORT
from stackctl.runtime.swarm import Stack, remove_container, run_detached
from stackctl.state import atomic_write

CONF_FILE = "access-nginx.conf"
ROLE = "access-proxy"
LISTEN_PORT = GATEWAY_PORT
"""The proxy listens on the gateway's own port number inside its container."""


def container_name(model: StackModel) -> str:
    """The proxy container's name."""
    return f"{model.settings.project}-access"


def nginx_conf() -> str:
    """nginx forwarding every request to one of the gateway's tasks."""
    return f"""# rendered by stackctl: the host's way to the gateway service on the overlay
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  # Docker's DNS: `gateway` resolves to every gateway task (dnsrr), re-read every 5 s,
  # used round-robin.
  resolver 127.0.0.11 valid=5s ipv6=off;
  server {{
    listen {LISTEN_PORT};
    location / {{
      set $gateway http://gateway:{GATEWAY_PORT};
      proxy_pass $gateway;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 60s;
    }}
  }}
}}
"""


def start(model: StackModel, stack: Stack, image: str) -> str:
    """(Re)start the proxy; returns the URL the host uses."""
    settings = model.settings
    conf = settings.state_dir / "swarm" / CONF_FILE
    atomic_write(conf, nginx_conf())
    bind, port = settings.network.bind, settings.gateway.port
    run_detached(container_name(model), image, stack.network(FRONT_NETWORK),
                 ports=[f"{bind}:{port}:{LISTEN_PORT}"],
                 mounts=[(str(Path(conf).resolve()), "/etc/nginx/nginx.conf")],
                 labels={OWNER_LABEL: settings.project, ROLE_LABEL: ROLE},
                 command=["nginx", "-g", "daemon off;"])
    return f"http://{bind}:{port}"


def stop(model: StackModel) -> bool:
    """Remove the proxy; False when there was none."""
    return remove_container(container_name(model))
