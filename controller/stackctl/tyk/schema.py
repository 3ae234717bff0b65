"""The shapes of the Tyk knowledge tables (the data itself is in `tables`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackctl.tyk.envconfig import Kind, env_name, json_style_env
from stackctl.tyk.releases import ALWAYS, Range

Component = Literal["gateway", "pump", "dashboard"]
Form = Literal["json", "env"]

Role = Literal[
    "type", "host", "port", "hosts", "addrs", "master_name", "sentinel_password",
    "username", "password", "database", "max_idle", "max_active", "timeout",
    "enable_cluster", "use_ssl", "skip_verify", "ca_file", "cert_file", "key_file",
    "tls_min", "tls_max", "key_prefix",
]
"""What a Redis name means, whatever a component calls it."""


@dataclass(frozen=True)
class ComponentSpec:
    """Where a component keeps its Redis settings and how it reads its environment."""

    name: Component
    conf_file: str  # e.g. tyk.conf
    env_file: str  # what `render --format env` writes, e.g. gateway.env
    env_prefix: str  # envconfig prefix, e.g. TYK_GW
    block: tuple[str, ...]  # JSON path of the Redis block; () = top level
    go_block: tuple[str, ...]  # Go field path of that block
    empty_bool: str  # what an empty boolean variable does to this component
    alias_env_prefixes: tuple[str, ...] = ()  # further prefixes read for the Redis block
    source: str = ""  # where the names were read


@dataclass(frozen=True)
class Option:
    """One configuration name of one component."""

    component: Component
    key: str  # JSON key; relative to the Redis block when `redis`, else a dotted path
    go: tuple[str, ...]  # Go field names, relative like `key`
    kind: Kind
    spec: ComponentSpec
    role: Role | None = None  # the connection-model field it carries (Redis names only)
    exists: Range = ALWAYS  # releases that parse the name
    effect: Range | None = None  # releases that act on it (None: wherever it exists)
    redis: bool = True  # inside the component's Redis block
    env_only: bool = False  # read from the environment only (no JSON key)
    secret: bool = False  # a secret: the env form keeps it in a 0600 file, never the env
    deprecated: str = ""  # the name to use instead, when deprecated
    note: str = ""

    @property
    def json_path(self) -> tuple[str, ...]:
        """Full JSON path from the top of the file."""
        own = tuple(self.key.split("."))
        return (*self.spec.block, *own) if self.redis else own

    @property
    def go_path(self) -> tuple[str, ...]:
        """Full Go field path from the config struct."""
        return (*self.spec.go_block, *self.go) if self.redis else self.go

    @property
    def env(self) -> str:
        """The environment variable envconfig reads for this name."""
        return env_name(self.spec.env_prefix, self.go_path)

    @property
    def alias_envs(self) -> tuple[str, ...]:
        """Further variables read for a Redis name (pump's storage-level prefixes)."""
        if not self.redis:
            return ()
        return tuple(env_name(p, self.go) for p in self.spec.alias_env_prefixes)

    @property
    def json_style_env(self) -> str:
        """The JSON-key-shaped variable name people guess, which nothing reads."""
        return json_style_env(self.spec.env_prefix, self.json_path)

    @property
    def label(self) -> str:
        """Dotted JSON path, for messages."""
        return ".".join(self.json_path)

    def effective(self, release: str) -> bool:
        """Whether `release` acts on this name."""
        return (self.effect or self.exists).contains(release)


@dataclass(frozen=True)
class WrongName:
    """A name that does not exist, and the name meant."""

    component: Component
    wrong: str  # JSON key relative to the Redis block (form json) or a variable (form env)
    right: str  # the Option key meant (relative to the block for Redis names)
    why: str
    form: Form = "json"


@dataclass(frozen=True)
class Shipped:
    """A configuration Tyk ships in a release's own source, as dotted keys and values."""

    component: Component
    source: str  # file in the release's source tree, and the release read
    values: tuple[tuple[str, object], ...]  # (dotted JSON key, value), in file order


@dataclass(frozen=True)
class Deviation:
    """A key stackctl renders differently from Tyk's shipped configuration, and why.
    `key` is a dotted JSON path; a block (e.g. `storage`) covers every key under it."""

    component: Component
    key: str
    value: str  # what stackctl renders instead, in words (values may come from settings)
    reason: str


@dataclass(frozen=True)
class MeasuredDefault:
    """A default of stackctl's own settings chosen by measurement: the value, what the
    upstream project ships, why, and the figures it rests on (with their command)."""

    setting: str  # `section.field` of stackctl's settings
    value: object
    upstream: str  # what Redis or Tyk ships, in words
    reason: str
    evidence: str  # figures, how they were measured, and the noise they were judged against


LimiterKind = Literal["leaky-bucket", "fixed-window", "sliding-log", "sentinel"]


@dataclass(frozen=True)
class RateLimiter:
    """One of the gateway's rate limiters: its flags, where it counts, how exactly it limits."""

    name: str  # the stackctl setting's value
    flags: tuple[tuple[str, bool], ...]  # gateway keys and values that select it
    kind: LimiterKind
    in_redis: bool  # counters (rate-limit-<key hash>) live in Redis
    redis_commands: str  # what each limited request costs in Redis
    note: str


@dataclass(frozen=True)
class StandaloneEnv:
    """A variable outside any component's prefix, with the releases that read it."""

    name: str
    readers: tuple[tuple[Component, Range], ...]
    note: str


@dataclass(frozen=True)
class LogSignature:
    """A log line (start-up, or a runtime sign) and what it tells, in the releases printing it."""

    component: Component
    text: str  # substring to look for
    meaning: Literal["connected", "timeout", "cluster-init-failed", "cluster-mode",
                     "storage-failed", "purging", "health", "pool-timeout",
                     "transaction-aborted", "bad-reply", "client-canceled",
                     "key-not-found"]
    releases: Range
    note: str = ""


@dataclass(frozen=True)
class RedisKeyPrefix:
    """A prefix the gateway puts before the Redis records of one kind."""

    name: Literal["session", "rate-limit"]
    prefix: str
    source: str  # where the prefix is set in Tyk's source
    note: str = ""


@dataclass(frozen=True)
class Endpoint:
    """One gateway API route: method, path (`{name}` placeholders), whether it needs the secret."""

    name: Literal["hello", "apis", "api", "keys-create", "key", "reload"]
    method: str
    path: str
    auth: bool
    source: str
    note: str = ""


# --- existing clusters and hostname endpoints (issue 16) ------------------------------

EndpointAnswer = Literal["CLUSTER SLOTS", "MOVED/ASK", "TLS name"]


@dataclass(frozen=True)
class EndpointFollowing:
    """Whether a component's cluster client dials a hostname a node announces in one answer."""

    component: Component
    answer: EndpointAnswer
    follows_hostnames: bool | None  # None: not verifiable (closed source)
    client: str  # the library and version behind it, as the pinned build resolves it
    behaviour: str
    source: str  # file:line in the module cache


@dataclass(frozen=True)
class RedisCommandUse:
    """A Redis command a component sends, with `ACL DRYRUN` arguments named as Tyk names them."""

    component: Component
    command: str  # e.g. "CLUSTER SLOTS"
    args: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class DashboardEndpoint:
    """A Dashboard route (profile pro): method, path (`{name}` placeholders), and its secret:
    none, admin (`admin-auth`), user or node (a key or node_secret in `authorization`)."""

    name: str
    method: str
    path: str
    auth: Literal["none", "admin", "user", "node"]
    source: str
    note: str = ""
