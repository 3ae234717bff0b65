"""The stack model: everything derived once from Settings that renderers share (node names,
addresses, ports, TLS paths, networks); no renderer derives addresses on its own."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from stackctl.names import INIT_SERVICE, redis_node
from stackctl.settings import Settings

REDIS_PORT = 6379
CERTS_MOUNT = "/opt/stackctl/certs"
"""Where the PKI is mounted read-only in every container."""


REDIS_FIRST_HOST = 11  # redis-1 gets .11 of redis.subnet
FRONT_HOSTS = {"gateway": 10, "pump": 30, "upstream": 40, "dashboard": 50, "load": 60}
"""Host numbers in network.subnet; gateway replicas take 10, 11, ..."""
REDIS_SIDE_HOSTS = {"gateway": 200, "pump": 230, "dashboard": 240, INIT_SERVICE: 250,
                    "probe": 251}
"""Host numbers of Redis clients on the internal Redis network."""

CONFIG_ENDPOINT = "clustercfg"
"""Hostname mode: a network alias every node answers to, like ElastiCache's `clustercfg`
name: a client given only this address reads the topology from whichever node answers."""

STORE_HOSTS = {"postgres": 10, "dashboard": 20, "pump": 30}
"""Host numbers in dashboard.store_subnet (profile pro); the gateway has none."""

COMPONENTS = ("gateway", "pump", "dashboard")
"""Tyk components that connect to Redis, each with its own client certificate."""


@dataclass(frozen=True)
class RedisNode:
    """One Redis container."""

    index: int  # 1-based
    ip: ipaddress.IPv4Address
    port: int = REDIS_PORT

    @property
    def name(self) -> str:
        """Service name and hostname, e.g. `redis-1`."""
        return redis_node(self.index)

    @property
    def addr(self) -> str:
        """`host:port` as clients inside the stack dial it."""
        return f"{self.name}:{self.port}"


@dataclass(frozen=True)
class TlsPaths:
    """A component's TLS files as seen inside its container."""

    ca: str
    cert: str
    key: str


def tls_paths(name: str) -> TlsPaths:
    """The container paths of `name`'s certificate and key, and the CA."""
    return TlsPaths(
        ca=f"{CERTS_MOUNT}/ca.crt",
        cert=f"{CERTS_MOUNT}/{name}.crt",
        key=f"{CERTS_MOUNT}/{name}.key",
    )


@dataclass(frozen=True)
class StackModel:
    """The derived, immutable description of one stack."""

    settings: Settings

    topology: tuple[str, ...] = ()
    """External mode: every node's address as discovery found it (`cluster.topology`),
    recorded in the state directory; empty until discovery has run."""

    @property
    def external(self) -> bool:
        """Tyk runs against an existing cluster stackctl does not start."""
        return self.settings.external

    @cached_property
    def nodes(self) -> tuple[RedisNode, ...]:
        """All Redis nodes, primaries and replicas alike (roles are the cluster's choice);
        none in external mode (stackctl starts no Redis)."""
        if self.external:
            return ()
        base = self.settings.redis.subnet.network_address
        return tuple(
            RedisNode(i, base + REDIS_FIRST_HOST + i - 1)
            for i in range(1, self.settings.redis.nodes + 1)
        )

    @property
    def addrs(self) -> list[str]:
        """Every node's `host:port` as each Tyk component lists it; external: the configuration
        endpoint alone (`use_configuration_endpoint`), else the nodes found, else the configured."""
        if self.external:
            ext = self.settings.redis.external
            if ext.use_configuration_endpoint or not self.topology:
                return list(ext.addrs)
            return list(self.topology)
        return [n.addr for n in self.nodes]

    @property
    def tls_mode(self) -> str:
        """off | tls | insecure | mtls, of the managed or the external cluster."""
        return self.settings.redis_tls

    @property
    def redis_user(self) -> str:
        """The ACL user Tyk's components connect as."""
        redis = self.settings.redis
        return redis.external.user if self.external else redis.user

    @property
    def hostname_endpoints(self) -> bool:
        """Nodes announce their names (`redis.endpoints = hostname`), not their IPs."""
        return self.settings.redis.endpoints == "hostname"

    @property
    def tls(self) -> bool:
        """Whether Redis speaks TLS."""
        return self.tls_mode != "off"

    @property
    def certs_dir(self) -> Path:
        """Host directory holding the PKI."""
        return self.settings.certs_dir

    def front_ip(self, service: str, replica: int = 0) -> ipaddress.IPv4Address:
        """A service's static address on the front network."""
        return self.settings.network.subnet.network_address + FRONT_HOSTS[service] + replica

    def redis_side_ip(self, service: str, replica: int = 0) -> ipaddress.IPv4Address:
        """A Redis client's static address on the internal Redis network."""
        return self.settings.redis.subnet.network_address + REDIS_SIDE_HOSTS[service] + replica


def store_ip(model: StackModel, service: str) -> ipaddress.IPv4Address:
    """A service's static address on the internal store network (profile pro)."""
    return model.settings.dashboard.store_subnet.network_address + STORE_HOSTS[service]


TOPOLOGY_FILE = "external-topology.json"
"""External mode: `<state_dir>/external-topology.json`, what discovery last found."""


def build_model(settings: Settings) -> StackModel:
    """Derive the model (cheap: in external mode one read of the recorded topology)."""
    if not settings.external:
        return StackModel(settings)

    try:
        data = json.loads((settings.state_dir / TOPOLOGY_FILE).read_text())
        addrs = tuple(str(n["addr"]) for n in data["nodes"])
    except (OSError, ValueError, KeyError, TypeError):
        addrs = ()
    return StackModel(settings, addrs)
