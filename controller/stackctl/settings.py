"""The one typed settings model for the whole stack. Precedence: CLI flags > `STACKCTL_*`
environment (nested with `__`) > `stackctl.toml` > defaults. Every invalid setting is
reported at once, one line each with its fix. Secrets live in the secrets file instead."""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from stackctl.errors import ConfigError, ConfigErrors

CONFIG_FILE = "stackctl.toml"
ENV_PREFIX = "STACKCTL_"
ENV_DELIMITER = "__"

TlsMode = Literal["off", "tls", "insecure", "mtls"]
TLS_MODES: tuple[str, ...] = ("off", "tls", "insecure", "mtls")
Profile = Literal["oss", "pro"]
RateLimiterName = Literal["default", "fixed-window", "redis-rolling", "sentinel"]
Engine = Literal["compose", "swarm"]
ENGINES: tuple[str, ...] = ("compose", "swarm")
EndpointStyle = Literal["ip", "hostname"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


RedisMode = Literal["managed", "external"]
ADDR_PATTERN = r"^[A-Za-z0-9_.-]{1,253}:[0-9]{1,5}$"


class ExternalRedisSettings(_Section):
    """An existing Redis Cluster stackctl does not start (`redis.mode = external`)."""

    addrs: list[str] = Field(
        default_factory=list,
        description="host:port of a configuration endpoint or of any subset of the nodes")
    network: str = Field(
        "", pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
        description="an existing Docker network that reaches the cluster")
    tls: TlsMode = Field("off", description="off | tls | insecure | mtls")
    ca_file: str = Field("", description="CA certificate (PEM) for tls / mtls")
    cert_file: str = Field("", description="client certificate (PEM) for mtls")
    key_file: str = Field("", description="client key (PEM) for mtls")
    user: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                      description="ACL user (its password: redis_password in the secrets file)")
    use_configuration_endpoint: bool = Field(
        False, description="give Tyk only the one configured address, not every node found")


class RedisSettings(_Section):
    """The Redis Cluster: shape, transport security and the ACL user."""

    mode: RedisMode = Field("managed", description="managed | external (an existing cluster)")

    shards: int = Field(3, ge=3, le=16, description="primaries (a cluster needs at least 3)")
    replicas: int = Field(1, ge=0, le=5, description="replicas per primary")
    tls: TlsMode = Field("off", description="off | tls | insecure | mtls")
    user: str = Field("tyk", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="ACL user name")
    node_timeout_ms: int = Field(2000, ge=500, le=60000, description="cluster-node-timeout")
    maxclients: int = Field(10000, ge=128, le=1_000_000, description="Redis maxclients")
    subnet: ipaddress.IPv4Network = Field(
        ipaddress.IPv4Network("172.31.250.0/24"),
        description="pinned internal subnet for the Redis nodes",
    )
    endpoints: EndpointStyle = Field(
        "ip", description="ip | hostname: what nodes announce in CLUSTER SLOTS and MOVED "
        "(hostname: their names, DNS-only certificates, a configuration endpoint)")
    external: ExternalRedisSettings = ExternalRedisSettings()

    @property
    def nodes(self) -> int:
        """How many Redis containers the cluster has."""
        return self.shards * (1 + self.replicas)


class GatewaySettings(_Section):
    """Tyk Gateway: published port, replicas and its Redis pool."""

    port: int = Field(8080, ge=1, le=65535, description="host port for the gateway")
    replicas: int = Field(1, ge=1, le=8, description="gateway containers")
    max_active: int = Field(500, ge=1, le=100_000, description="optimisation_max_active")
    max_idle_connections_per_host: int = Field(
        500, ge=1, le=100_000,
        description="idle upstream connections kept per host (Tyk ships 500; unset is Go's 2)")
    rate_limiter: RateLimiterName = Field(
        "default", description="default | fixed-window | redis-rolling | sentinel")
    # drill --vary (issue 18): defaults are what Tyk ships (tyk/tables.py)
    storage_timeout_s: int = Field(
        5, ge=1, le=300, description="storage.timeout: seconds per Redis dial/read/write "
        "(Tyk's default 5)")
    local_session_cache: bool = Field(
        True, description="Tyk's local session cache (on as shipped; false renders "
        "local_session_cache.disable_cached_session_state = true)")


class PumpSettings(_Section):
    """Tyk Pump: its Redis pool and purge cadence."""

    max_active: int = Field(500, ge=1, le=100_000, description="optimisation_max_active")
    purge_delay: int = Field(2, ge=1, le=60, description="seconds between purges (> 0)")


class DashboardSettings(_Section):
    """Tyk Dashboard (profile pro only; needs a licence in the secrets file)."""

    port: int = Field(3000, ge=1, le=65535, description="host port for the dashboard")
    max_active: int = Field(500, ge=1, le=100_000, description="redis_max_active")
    store_subnet: ipaddress.IPv4Network = Field(
        ipaddress.IPv4Network("172.31.249.0/24"),
        description="pinned internal subnet of PostgreSQL, the dashboard and the pump (pro)")


class ImageSettings(_Section):
    """Which images to run: official names by default, local builds with `offline`."""

    offline: bool = Field(False, description="use images built by `stackctl images build`")
    pull: bool = Field(True, description="`up` pulls the images it lacks (false: refuse, "
                       "naming them)")
    gateway: str | None = Field(None, description="override the gateway image:tag")
    pump: str | None = Field(None, description="override the pump image:tag")
    dashboard: str | None = Field(None, description="override the dashboard image:tag")
    redis: str | None = Field(None, description="override the redis image:tag")
    postgres: str | None = Field(None, description="override the postgres image:tag (pro)")


class NetworkSettings(_Section):
    """Where published ports bind and the pinned front subnet."""

    bind: ipaddress.IPv4Address = Field(
        ipaddress.IPv4Address("127.0.0.1"), description="host address for published ports"
    )
    subnet: ipaddress.IPv4Network = Field(
        ipaddress.IPv4Network("172.31.251.0/24"),
        description="pinned subnet of the front network (gateway, pump, upstream)",
    )


# --- engine = swarm (issue 17) -------------------------------------------------------


class SwarmSettings(_Section):
    """Docker Swarm (engine = swarm): overlay subnets, placement, publishing, load tasks."""

    redis_subnet: ipaddress.IPv4Network = Field(
        ipaddress.IPv4Network("172.31.240.0/24"),
        description="pinned subnet of the internal Redis overlay network")
    front_subnet: ipaddress.IPv4Network = Field(
        ipaddress.IPv4Network("172.31.241.0/24"),
        description="pinned subnet of the front overlay network (gateway, pump, upstream)")
    encrypted: bool = Field(False, description="encrypt overlay traffic between nodes (IPsec)")
    placement: Literal["spread", "labels"] = Field(
        "spread", description="spread (Swarm's scheduler) | labels (node label "
        "stackctl.redis=0..M-1: a primary and its replicas on different labels)")
    publish_gateway: bool = Field(
        False, description="publish gateway.port through the routing mesh (every interface "
        "of every node); default: reached only through a local 127.0.0.1 proxy")
    load_replicas: int = Field(2, ge=1, le=16, description="load generator tasks")


_toml_data: ContextVar[dict[str, Any] | None] = ContextVar("_toml_data", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    """Values read from stackctl.toml (already parsed and key-checked)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ is used instead

    def __call__(self) -> dict[str, Any]:
        return dict(_toml_data.get() or {})


class Settings(BaseSettings):
    """Everything stackctl needs to know about the stack, validated at construction."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    project: str = Field(
        "stackctl", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$", description="Compose project name"
    )
    state_dir: Path = Field(Path(".stackctl"), description="where rendered files and secrets go")
    certs_dir: Path = Field(Path("certs"), description="where the generated PKI goes")
    profile: Profile = Field("oss", description="oss | pro (pro adds the Tyk Dashboard)")
    config_form: Literal["files", "env"] = Field(
        "files", description="how Tyk components are configured: files (tyk.conf, pump.conf) "
        "or env (TYK_GW_*, TYK_PMP_* from 0600 env files)")
    allow_unsupported: bool = Field(
        False, description="run a Tyk/Redis pair outside the support matrix"
    )
    engine: Engine = Field("compose", description="compose (one machine) | swarm "
                           "(Docker Swarm: the stack spread over the swarm's nodes)")
    redis: RedisSettings = RedisSettings()
    gateway: GatewaySettings = GatewaySettings()
    pump: PumpSettings = PumpSettings()
    dashboard: DashboardSettings = DashboardSettings()
    images: ImageSettings = ImageSettings()
    network: NetworkSettings = NetworkSettings()
    swarm: SwarmSettings = SwarmSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlSource(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _swarm_names_its_nodes(cls, data: Any) -> Any:
        """engine = swarm pins no addresses: Redis endpoints are hostnames unless set."""
        if not isinstance(data, dict) or data.get("engine") != "swarm":
            return data
        redis = data.get("redis", {})
        if isinstance(redis, dict) and "endpoints" not in redis:
            return {**data, "redis": {**redis, "endpoints": "hostname"}}
        return data

    @model_validator(mode="after")
    def _check_cross_fields(self) -> Settings:
        published = self.published_ports()
        seen: dict[int, str] = {}
        for name, port in published.items():
            if port in seen:
                raise ValueError(f"@{name}.port|{seen[port]}.port and {name}.port are both "
                                 f"{port}|give {name}.port another free port")
            seen[port] = name
        if self.redis.subnet.overlaps(self.network.subnet):
            raise ValueError("@network.subnet|overlaps redis.subnet|pick two disjoint subnets")
        _check_external(self.redis)
        if self.external and self.profile == "pro":
            raise ValueError("@redis.mode|external is not available with profile pro yet "
                             "(the Dashboard's compose side is managed-only)"
                             "|use profile oss against an external cluster")
        if self.profile == "pro" and any(self.dashboard.store_subnet.overlaps(n) for n in (
                self.redis.subnet, self.network.subnet)):
            raise ValueError("@dashboard.store_subnet|overlaps redis.subnet or network.subnet"
                             "|pick a disjoint subnet")
        if self.redis.subnet.num_addresses - 3 < self.redis.nodes:
            raise ValueError(f"@redis.subnet|too small for {self.redis.nodes} nodes"
                             "|use a larger prefix")
        if self.engine == "swarm" and self.redis.endpoints != "hostname":
            raise ValueError(
                "@redis.endpoints|is ip, but engine = swarm pins no task addresses"
                "|leave it out (swarm uses hostname) or set redis.endpoints = hostname")
        if self.swarm.redis_subnet.overlaps(self.swarm.front_subnet):
            raise ValueError(
                "@swarm.front_subnet|overlaps swarm.redis_subnet|pick two disjoint subnets")
        return self

    @property
    def external(self) -> bool:
        """Tyk runs against an existing cluster (`redis.mode = external`)."""
        return self.redis.mode == "external"

    @property
    def redis_tls(self) -> str:
        """off | tls | insecure | mtls: of the cluster Tyk dials (managed or external)."""
        return self.redis.external.tls if self.external else self.redis.tls

    @property
    def redis_tls_setting(self) -> str:
        """The name of the setting `redis_tls` reads."""
        return "redis.external.tls" if self.external else "redis.tls"

    def published_ports(self) -> dict[str, int]:
        """Host ports this stack publishes, by service (the gateway and, in pro, the dashboard)."""
        ports = {"gateway": self.gateway.port}
        if self.profile == "pro":
            ports["dashboard"] = self.dashboard.port
        return ports


MANAGED_ONLY = ("shards", "replicas", "tls", "user", "endpoints")
"""redis.* settings that shape a cluster stackctl starts: an error in external mode."""


def _changed(section: BaseModel) -> list[str]:
    """Fields set to other than their default (a recorded settings file sets every field)."""
    defaults = type(section)()
    return [name for name in sorted(section.model_fields_set)
            if getattr(section, name) != getattr(defaults, name)]


def _check_external(redis: RedisSettings) -> None:
    """The external section's rules, one `@setting|problem|fix` at a time."""
    ext = redis.external
    if redis.mode != "external":
        if changed := _changed(ext):
            raise ValueError(f"@redis.external.{changed[0]}|is set but redis.mode is managed"
                             "|set redis.mode = \"external\" or remove it")
        return
    for name in MANAGED_ONLY:
        if name in _changed(redis):
            fix = (f"set redis.external.{name} instead" if name in ("tls", "user") else
                   "remove it: the existing cluster has its own shape")
            raise ValueError(f"@redis.{name}|is for a cluster stackctl starts, but "
                             f"redis.mode is external|{fix}")
    if not ext.addrs:
        raise ValueError("@redis.external.addrs|is empty|give the configuration endpoint "
                         "or some nodes as host:port")
    for addr in ext.addrs:
        if not re.match(ADDR_PATTERN, addr) or not 0 < int(addr.rpartition(":")[2]) < 65536:
            raise ValueError(f"@redis.external.addrs|{addr!r} is not host:port"
                             "|write it as host:port, e.g. clustercfg:6379")
    if ext.use_configuration_endpoint and len(ext.addrs) > 1:
        raise ValueError(f"@redis.external.use_configuration_endpoint|needs exactly one "
                         f"address, redis.external.addrs has {len(ext.addrs)}|give only the "
                         "configuration endpoint, or set it to false")
    if not ext.network:
        raise ValueError("@redis.external.network|is empty|name the Docker network that "
                         "reaches the cluster (`docker network ls`)")
    if ext.tls in ("tls", "mtls") and not ext.ca_file:
        raise ValueError(f"@redis.external.ca_file|is required with tls = {ext.tls}"
                         "|give the CA certificate (PEM) that signed the nodes' certificates")
    if ext.tls == "mtls" and not (ext.cert_file and ext.key_file):
        raise ValueError("@redis.external.cert_file|and key_file are required with mtls"
                         "|give the client certificate and key (PEM)")


# --- loading -------------------------------------------------------------------------


def _field_names(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    return {name: (f.annotation if isinstance(f.annotation, type)
                   and issubclass(f.annotation, BaseModel) else None)
            for name, f in model.model_fields.items()}


def _check_keys(
    data: dict[str, Any], model: type[BaseModel], prefix: str, source: str
) -> list[ConfigError]:
    errors: list[ConfigError] = []
    known = _field_names(model)
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.5)
            fix = f"did you mean '{prefix}{close[0]}'?" if close else (
                "valid keys here: " + ", ".join(sorted(known)))
            errors.append(ConfigError(where, f"unknown key in {source}", fix))
        elif (sub := known[key]) is not None:
            if isinstance(value, dict):
                errors.extend(_check_keys(value, sub, f"{where}.", source))
            else:
                errors.append(ConfigError(where, f"must be a table [{where}] in {source}",
                                          f"write it as [{where}] with its keys below"))
    return errors


def read_toml(path: Path) -> dict[str, Any]:
    """Parse and key-check a stackctl.toml; a missing file is an empty one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})",
                          "check the path and its permissions") from exc
    try:
        data = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"is not valid TOML ({exc})",
                          "fix the syntax at the place named") from exc
    errors = _check_keys(data, Settings, "", path.name)
    if errors:
        raise ConfigErrors(errors)
    return data


def _describe(loc: tuple[Any, ...]) -> tuple[str, str]:
    """The dotted setting name and its description, for an error location."""
    name = ".".join(str(p) for p in loc if not isinstance(p, int))
    model: type[BaseModel] = Settings
    desc = ""
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            break
        desc = field.description or ""
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
    return name, desc


def _env_name(setting: str) -> str:
    return ENV_PREFIX + setting.replace(".", ENV_DELIMITER).upper()


def _to_config_errors(exc: ValidationError) -> ConfigErrors:
    errors: list[ConfigError] = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid"))
        marker = msg.find("@")
        if err["type"] == "value_error" and marker >= 0:
            setting, problem, fix = msg[marker + 1:].split("|", 2)
            errors.append(ConfigError(setting, problem, fix))
            continue
        setting, desc = _describe(tuple(err["loc"]))
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" = {value!r}"
        if err["type"] == "extra_forbidden":
            errors.append(ConfigError(setting, "unknown setting",
                                      f"remove it (or {_env_name(setting)} from the environment)"))
            continue
        fix = f"set {setting} ({desc})" if desc else f"set {setting} to a valid value"
        errors.append(ConfigError(f"{setting}{shown}", msg.lower(), fix))
    return ConfigErrors(errors)


def load_settings(
    config_file: Path | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Settings from flags (`overrides`), env, TOML and defaults; ConfigError lists all problems."""
    path = config_file if config_file is not None else Path(CONFIG_FILE)
    if config_file is not None and not path.exists():
        raise ConfigError(str(path), "no such config file", "check the --config path")
    token = _toml_data.set(read_toml(path))
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise _to_config_errors(exc) from None
    finally:
        _toml_data.reset(token)


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"redis.shards": 5, "profile": None}` -> `{"redis": {"shards": 5}}` (None dropped)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out
