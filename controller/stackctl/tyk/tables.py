"""ALL Tyk configuration knowledge stackctl uses, as data: a new Tyk version is an edit of
these tables. Sources: Gateway `config/config.go` `StorageOptionsConf` (v2.9.3 .. v5.14.0,
master), Pump `storage/store.go` + `config.go` (v1.10.0, v1.14.0, v1.16.0), Dashboard
configuration docs (closed source). Ranges give the earliest release in which a name was
confirmed, not necessarily its birth."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from stackctl.names import GO_REDIS_LABEL, RELEASE_LABEL, STORAGE_LABEL
from stackctl.tyk.envconfig import Kind
from stackctl.tyk.releases import AnyOf, Range, Releases
from stackctl.tyk.schema import (
    Component,
    ComponentSpec,
    DashboardEndpoint,
    Deviation,
    Endpoint,
    EndpointFollowing,
    LogSignature,
    MeasuredDefault,
    Option,
    RateLimiter,
    RedisCommandUse,
    RedisKeyPrefix,
    Role,
    Shipped,
    StandaloneEnv,
    WrongName,
)

GATEWAY = ComponentSpec(
    name="gateway", conf_file="tyk.conf", env_file="gateway.env", env_prefix="TYK_GW",
    block=("storage",), go_block=("Storage",),
    empty_bool="the gateway refuses to start (\"failed to process config env vars\")",
    source="tyk config/config.go StorageOptionsConf",
)
PUMP = ComponentSpec(
    name="pump", conf_file="pump.conf", env_file="pump.env", env_prefix="TYK_PMP",
    block=("analytics_storage_config",), go_block=("AnalyticsStorageConfig",),
    empty_bool="pump logs the envconfig error and skips every later variable",
    alias_env_prefixes=("TYK_PMP_REDIS", "TYK_PMP_TEMPORAL_STORAGE"),
    source="tyk-pump storage/store.go TemporalStorageConfig",
)
DASHBOARD = ComponentSpec(
    name="dashboard", conf_file="tyk_analytics.conf", env_file="dashboard.env",
    env_prefix="TYK_DB", block=(), go_block=(),
    empty_bool="envconfig cannot parse it (closed source: effect not verified)",
    source="Tyk Dashboard configuration docs (closed source)",
)
SPECS: dict[Component, ComponentSpec] = {s.name: s for s in (GATEWAY, PUMP, DASHBOARD)}

DEFAULT_TIMEOUT_S = 5
"""Every component's Redis timeout default, in seconds (the storage library multiplies by
time.Second; the pump's own comment says milliseconds, its code says seconds)."""
TLS_MIN, TLS_MAX = "1.2", "1.3"
REDIS_POOLS: dict[Component, int] = {"gateway": 4, "pump": 1, "dashboard": 1}
"""Connection pools each component sizes per Redis node with its max_active: the gateway's
default, cache and analytics stores plus the rate limiter's client (tyk-facts §1); the
pump's one analytics-storage pool."""
HEALTH_BEFORE_REDIS: dict[Component, str] = {"pump": "purge_delay"}
"""Components whose health endpoint says ok before they have used Redis, with the setting
(seconds) after which they first do: the pump answers `/health` ok while its first purge
still fails, so a start-up watch keeps reading its log one such period past healthy."""
MIN_HA_NODES = 6
"""The smallest Redis Cluster that survives a primary loss: 3 primaries x (1 + 1 replica)."""

_REDIGO = Range(until="v2.9.2")  # redigocluster driver era; go-redis from v2.9.3
_GW_TLS = Range(since="v5.3.0")
_PMP_TLS = Range(since="v1.10.0")
_DB_TLS = Range(since="v5.3.0")


def _opt(spec: ComponentSpec, key: str, go: str, kind: Kind, role: Role | None = None,
         **kw: Any) -> Option:
    return Option(spec.name, key, tuple(go.split(".")), kind, spec, role, **kw)


_gw, _pmp, _db = (partial(_opt, spec) for spec in (GATEWAY, PUMP, DASHBOARD))
_gg, _pg, _dg = (partial(_opt, spec, role=None, redis=False)
                 for spec in (GATEWAY, PUMP, DASHBOARD))
"""Options outside the Redis block."""


GATEWAY_STORAGE: tuple[Option, ...] = (
    _gw("type", "Type", "str", "type", note="must be 'redis'; anything else stops the gateway"),
    _gw("host", "Host", "str", "host", note="used only when addrs and hosts are empty"),
    _gw("port", "Port", "int", "port", note="used only when addrs and hosts are empty"),
    _gw("hosts", "Hosts", "map", "hosts", deprecated="addrs"),
    _gw("addrs", "Addrs", "list", "addrs", exists=Range(since="v2.9.3")),
    _gw("master_name", "MasterName", "str", "master_name", exists=Range(since="v2.9.3"),
        note="when set, sentinel mode wins even with enable_cluster"),
    _gw("sentinel_password", "SentinelPassword", "str", "sentinel_password",
        exists=Range(since="v3.1.2"), secret=True),
    _gw("username", "Username", "str", "username", exists=Range(since="v2.9.3")),
    _gw("password", "Password", "str", "password", secret=True),
    _gw("database", "Database", "int", "database", note="dropped in cluster mode"),
    _gw("optimisation_max_idle", "MaxIdle", "int", "max_idle", effect=_REDIGO,
        note="read by nothing since v2.9.3 (go-redis has no idle cap here)"),
    _gw("optimisation_max_active", "MaxActive", "int", "max_active",
        note="go-redis PoolSize per cluster node; <=0 means 500"),
    _gw("timeout", "Timeout", "int", "timeout", note="seconds; default 5"),
    _gw("enable_cluster", "EnableCluster", "bool", "enable_cluster",
        note="false: a single-node client on the first address only"),
    _gw("use_ssl", "UseSSL", "bool", "use_ssl", note="TLS fields apply only when true"),
    _gw("ssl_insecure_skip_verify", "SSLInsecureSkipVerify", "bool", "skip_verify"),
    _gw("ca_file", "CAFile", "str", "ca_file", exists=_GW_TLS),
    _gw("cert_file", "CertFile", "str", "cert_file", exists=_GW_TLS),
    _gw("key_file", "KeyFile", "str", "key_file", exists=_GW_TLS),
    _gw("tls_min_version", "TLSMinVersion", "str", "tls_min", exists=_GW_TLS),
    _gw("tls_max_version", "TLSMaxVersion", "str", "tls_max", exists=_GW_TLS),
)

GATEWAY_GENERAL: tuple[Option, ...] = (
    _gg("listen_port", "ListenPort", "int"),
    _gg("secret", "Secret", "str", secret=True),
    _gg("node_secret", "NodeSecret", "str", secret=True),
    _gg("app_path", "AppPath", "str"),
    _gg("template_path", "TemplatePath", "str",
        note="must hold the error templates or the gateway panics"),
    _gg("tyk_js_path", "TykJSPath", "str", note="a missing file is skipped silently"),
    _gg("middleware_path", "MiddlewarePath", "str"),
    _gg("use_db_app_configs", "UseDBAppConfigs", "bool"),
    _gg("policies.policy_source", "Policies.PolicySource", "str"),
    _gg("policies.policy_path", "Policies.PolicyPath", "str",
        note="a directory: every *.json in it is ONE policy"),
    _gg("policies.policy_record_name", "Policies.PolicyRecordName", "str",
        note="file source: one JSON file holding every policy"),
    _gg("hash_keys", "HashKeys", "bool"),
    _gg("enable_analytics", "EnableAnalytics", "bool"),
    _gg("analytics_config.type", "AnalyticsConfig.Type", "str"),
    _gg("analytics_config.purge_interval", "AnalyticsConfig.PurgeInterval", "int",
        note="float32 in Go; -1 in Tyk's shipped config"),
    _gg("analytics_config.ignored_ips", "AnalyticsConfig.IgnoredIPs", "list"),
    _gg("analytics_config.enable_multiple_analytics_keys",
        "AnalyticsConfig.EnableMultipleAnalyticsKeys", "bool",
        note="spreads analytics over analytics-tyk-system-analytics_0.._9 (cluster shards)"),
    _gg("liveness_check.check_duration", "LivenessCheck.CheckDuration", "duration",
        note="time.Duration: nanoseconds in JSON, '2s' in the environment"),
    _gg("health_check.enable_health_checks", "HealthCheck.EnableHealthChecks", "bool",
        note="the deprecated uptime health checker: ZADD, ZREMRANGEBYSCORE, ZRANGE and "
             "EXPIRE in MULTI/EXEC on one key (so one primary) for every request"),
    _gg("health_check.health_check_value_timeouts", "HealthCheck.HealthCheckValueTimeout",
        "int"),
    _gg("enable_fixed_window_rate_limiter", "EnableFixedWindowRateLimiter", "bool",
        exists=Range(since="v5.4.0"),
        note="rate-limit counters in Redis (INCR per window); wins over every other limiter"),
    _gg("enable_redis_rolling_limiter", "EnableRedisRollingLimiter", "bool",
        note="sliding log in Redis: ZREMRANGEBYSCORE, ZCARD, ZADD, EXPIRE per request"),
    _gg("enable_sentinel_rate_limiter", "EnableSentinelRateLimiter", "bool",
        note="the sliding log written off the request path; blocks on a sentinel key"),
    _gg("enable_non_transactional_rate_limiter", "EnableNonTransactionalRateLimiter", "bool",
        note="sliding-log limiters pipeline instead of MULTI/EXEC"),
    _gg("allow_master_keys", "AllowMasterKeys", "bool"),
    _gg("close_connections", "CloseConnections", "bool",
        note="true: Connection: close on every answer (no client keep-alive)"),
    _gg("max_idle_connections_per_host", "MaxIdleConnsPerHost", "int",
        note="the upstream transport's MaxIdleConnsPerHost; unset (0) means Go's 2, "
             "not the 100 the source's comment says: every request beyond two in flight "
             "then opens and closes an upstream connection (TIME_WAIT piles up)"),
    _gg("http_server_options.enable_websockets", "HttpServerOptions.EnableWebSockets",
        "bool"),
    _gg("allow_insecure_configs", "AllowInsecureConfigs", "bool"),
    _gg("coprocess_options.enable_coprocess", "CoProcessOptions.EnableCoProcess", "bool"),
    _gg("coprocess_options.coprocess_grpc_server", "CoProcessOptions.CoProcessGRPCServer",
        "str"),
    _gg("enable_bundle_downloader", "EnableBundleDownloader", "bool"),
    _gg("bundle_base_url", "BundleBaseURL", "str"),
    _gg("global_session_lifetime", "GlobalSessionLifetime", "int"),
    _gg("force_global_session_lifetime", "ForceGlobalSessionLifetime", "bool"),
    _gg("enable_jsvm", "EnableJSVM", "bool"),
    _gg("jwt_ssl_insecure_skip_verify", "JWTSSLInsecureSkipVerify", "bool"),
    _gg("enable_separate_cache_store", "EnableSeperateCacheStore", "bool",
        note="Tyk's spelling in the Go name: TYK_GW_ENABLESEPERATECACHESTORE"),
    _gg("enable_separate_analytics_store", "EnableSeperateAnalyticsStore", "bool",
        note="Tyk's spelling in the Go name"),
    _gg("omit_config_file", "OmitConfigFile", "bool", env_only=True,
        note="true: start from an empty config and read only the environment"),
    # drill --vary (issue 18)
    _gg("local_session_cache.disable_cached_session_state",
        "LocalSessionCache.DisableCacheSessionState", "bool",
        note="false (shipped): a key's session is kept in memory SESSION_CACHE_TTL_S "
             "after it was read from Redis; true: read from Redis on every request"),
)

PUMP_STORAGE: tuple[Option, ...] = (
    _pmp("type", "Type", "str", "type", deprecated="nothing (remove it)"),
    _pmp("host", "Host", "str", "host"),
    _pmp("port", "Port", "int", "port"),
    _pmp("hosts", "Hosts", "map", "hosts", deprecated="addrs"),
    _pmp("addrs", "Addrs", "list", "addrs"),
    _pmp("master_name", "MasterName", "str", "master_name",
         note="when set, sentinel mode wins even with enable_cluster"),
    _pmp("sentinel_password", "SentinelPassword", "str", "sentinel_password", secret=True),
    _pmp("username", "Username", "str", "username"),
    _pmp("password", "Password", "str", "password", secret=True),
    _pmp("database", "Database", "int", "database", note="dropped in cluster mode"),
    _pmp("timeout", "Timeout", "int", "timeout",
         note="seconds (the field comment says milliseconds; the code multiplies by 1s)"),
    _pmp("optimisation_max_idle", "MaxIdle", "int", "max_idle",
         effect=Range(until="v0.8.3"), note="parsed, passed to nothing since go-redis"),
    _pmp("optimisation_max_active", "MaxActive", "int", "max_active", note="0 means 500"),
    _pmp("enable_cluster", "EnableCluster", "bool", "enable_cluster"),
    _pmp("redis_key_prefix", "RedisKeyPrefix", "str", "key_prefix", deprecated="key_prefix"),
    _pmp("key_prefix", "KeyPrefix", "str", "key_prefix"),
    _pmp("use_ssl", "UseSSL", "bool", "use_ssl"),
    _pmp("ssl_insecure_skip_verify", "SSLInsecureSkipVerify", "bool", "skip_verify"),
    _pmp("ssl_ca_file", "SSLCAFile", "str", "ca_file", exists=_PMP_TLS),
    _pmp("ssl_cert_file", "SSLCertFile", "str", "cert_file", exists=_PMP_TLS),
    _pmp("ssl_key_file", "SSLKeyFile", "str", "key_file", exists=_PMP_TLS),
    _pmp("ssl_max_version", "SSLMaxVersion", "str", "tls_max", exists=_PMP_TLS),
    _pmp("ssl_min_version", "SSLMinVersion", "str", "tls_min", exists=_PMP_TLS),
    _pmp("redis_use_ssl", "RedisUseSSL", "bool", "use_ssl", deprecated="use_ssl"),
    _pmp("redis_ssl_insecure_skip_verify", "RedisSSLInsecureSkipVerify", "bool",
         "skip_verify", deprecated="ssl_insecure_skip_verify"),
)

PUMP_GENERAL: tuple[Option, ...] = (
    _pg("purge_delay", "PurgeDelay", "int",
        note="seconds between purges; 0 (or absent) means nothing is ever purged"),
    _pg("purge_chunk", "PurgeChunk", "int"),
    _pg("storage_expiration_time", "StorageExpirationTime", "int"),
    _pg("dont_purge_uptime_data", "DontPurgeUptimeData", "bool",
        note="true without MongoDB: the default uptime pump is Mongo"),
    _pg("health_check_endpoint_name", "HealthCheckEndpointName", "str"),
    _pg("health_check_endpoint_port", "HealthCheckEndpointPort", "int"),
    _pg("log_level", "LogLevel", "str"),
    _pg("analytics_storage_type", "AnalyticsStorageType", "str"),
    _pg("omit_config_file", "OmitConfigFile", "bool", env_only=True),
    _pg("pumps.csv.type", "Pumps.CSV.Type", "str",
        note="env read by LoadPumpsByEnv (prefix TYK_PMP_PUMPS_<NAME>)"),
    _pg("pumps.csv.meta.csv_dir", "Pumps.CSV.Meta.CSVDir", "str",
        note="env read by the csv pump itself (prefix TYK_PMP_PUMPS_CSV_META); one"
             " file per hour, a header row then one row per record"),
)

DASHBOARD_REDIS: tuple[Option, ...] = (
    _db("redis_host", "RedisHost", "str", "host"),
    _db("redis_port", "RedisPort", "int", "port"),
    _db("redis_hosts", "Hosts", "map", "hosts", deprecated="redis_addrs",
        note="the Go field is Hosts: env TYK_DB_HOSTS"),
    _db("redis_addrs", "RedisAddrs", "list", "addrs", exists=Range(since="v1.9.3")),
    _db("redis_master_name", "RedisMasterName", "str", "master_name"),
    _db("redis_sentinel_password", "RedisSentinelPassword", "str", "sentinel_password",
        secret=True),
    _db("redis_username", "RedisUsername", "str", "username"),
    _db("redis_password", "RedisPassword", "str", "password", secret=True),
    _db("redis_database", "RedisDatabase", "int", "database"),
    _db("redis_timeout", "RedisTimeout", "int", "timeout"),
    _db("redis_max_active", "RedisMaxActive", "int", "max_active"),
    _db("enable_cluster", "EnableCluster", "bool", "enable_cluster",
        note="no redis_ prefix on this one"),
    _db("redis_use_ssl", "RedisUseSSL", "bool", "use_ssl"),
    _db("redis_ssl_insecure_skip_verify", "RedisSSLInsecureSkipVerify", "bool", "skip_verify"),
    _db("redis_ca_file", "RedisCAFile", "str", "ca_file", exists=_DB_TLS),
    _db("redis_cert_file", "RedisCertFile", "str", "cert_file", exists=_DB_TLS),
    _db("redis_key_file", "RedisKeyFile", "str", "key_file", exists=_DB_TLS),
    _db("redis_tls_min_version", "RedisTLSMinVersion", "str", "tls_min", exists=_DB_TLS),
    _db("redis_tls_max_version", "RedisTLSMaxVersion", "str", "tls_max", exists=_DB_TLS),
)

DASHBOARD_GENERAL: tuple[Option, ...] = (
    _dg("license_key", "LicenseKey", "str", secret=True),
)

OPTIONS: tuple[Option, ...] = (
    *GATEWAY_STORAGE, *GATEWAY_GENERAL, *PUMP_STORAGE, *PUMP_GENERAL,
    *DASHBOARD_REDIS, *DASHBOARD_GENERAL,
)

_PAGE = "the Redis Cluster reference page's name"
_GW_NAME = "the gateway's name, which the page gives for every component"
WRONG_NAMES: tuple[WrongName, ...] = (
    WrongName("gateway", "ssl_secure_skip_verify", "ssl_insecure_skip_verify", _PAGE),
    WrongName("gateway", "max_version", "tls_max_version", _PAGE),
    WrongName("gateway", "min_version", "tls_min_version", _PAGE),
    WrongName("gateway", "ssl_ca_file", "ca_file", "the pump's name"),
    WrongName("gateway", "ssl_cert_file", "cert_file", "the pump's name"),
    WrongName("gateway", "ssl_key_file", "key_file", "the pump's name"),
    WrongName("gateway", "ssl_max_version", "tls_max_version", "the pump's name"),
    WrongName("gateway", "ssl_min_version", "tls_min_version", "the pump's name"),
    WrongName("gateway", "max_active", "optimisation_max_active", "a shortened name"),
    WrongName("gateway", "max_idle", "optimisation_max_idle", "a shortened name"),
    WrongName("pump", "ssl_secure_skip_verify", "ssl_insecure_skip_verify", _PAGE),
    WrongName("pump", "max_version", "ssl_max_version", _PAGE),
    WrongName("pump", "min_version", "ssl_min_version", _PAGE),
    WrongName("pump", "ca_file", "ssl_ca_file", _GW_NAME),
    WrongName("pump", "cert_file", "ssl_cert_file", _GW_NAME),
    WrongName("pump", "key_file", "ssl_key_file", _GW_NAME),
    WrongName("pump", "tls_max_version", "ssl_max_version", "the gateway's name"),
    WrongName("pump", "tls_min_version", "ssl_min_version", "the gateway's name"),
    WrongName("pump", "max_active", "optimisation_max_active", "a shortened name"),
    WrongName("dashboard", "redis_ssl_secure_skip_verify", "redis_ssl_insecure_skip_verify",
              _PAGE),
    WrongName("dashboard", "redis_enable_cluster", "enable_cluster",
              "the dashboard's cluster flag has no redis_ prefix"),
    WrongName("dashboard", "redis_max_version", "redis_tls_max_version", _PAGE),
    WrongName("dashboard", "redis_min_version", "redis_tls_min_version", _PAGE),
    WrongName("dashboard", "redis_ssl_ca_file", "redis_ca_file", "the pump's name"),
    WrongName("dashboard", "redis_ssl_cert_file", "redis_cert_file", "the pump's name"),
    WrongName("dashboard", "redis_ssl_key_file", "redis_key_file", "the pump's name"),
    WrongName("dashboard", "redis_optimisation_max_active", "redis_max_active",
              "the gateway's name"),
    WrongName("gateway", "TYK_GW_ENABLESEPARATECACHESTORE", "enable_separate_cache_store",
              "the Go field is spelt EnableSeperateCacheStore", form="env"),
    WrongName("gateway", "TYK_GW_ENABLESEPARATEANALYTICSSTORE",
              "enable_separate_analytics_store",
              "the Go field is spelt EnableSeperateAnalyticsStore", form="env"),
    WrongName("dashboard", "TYK_DB_REDISHOSTS", "redis_hosts",
              "the Go field is Hosts", form="env"),
)
"""Names that do not exist. Each JSON wrong name also yields its env guesses (see lookup)."""

STANDALONE_ENVS: tuple[StandaloneEnv, ...] = (
    StandaloneEnv(
        "REDIGOCLUSTER_SHARDCOUNT",
        readers=(("gateway", Range("v2.3.2", "v2.9.2")), ("pump", Range("v0.4.2", "v0.8.3"))),
        note="read only by the vendored redigocluster driver (concurrent_map.go, default 32),"
             " replaced by go-redis in gateway v2.9.3 / pump v0.8.4",
    ),
)

LOG_SIGNATURES: tuple[LogSignature, ...] = (
    LogSignature("gateway", "storage: connected to redis", "connected", Range(since="v5.8.0")),
    LogSignature("gateway", "storage: timeout connecting", "timeout", Range(since="v5.8.0"),
                 note="not fatal: the connect loop keeps retrying (MaxElapsedTime=0)"),
    LogSignature("gateway", "Could not initialize connection to Redis cluster",
                 "cluster-init-failed", Range(since="v5.8.0")),
    LogSignature("gateway", "storage: Redis is either down or was not configured",
                 "storage-failed", Range(since="v5.8.0"),
                 note="repeated while the connect loop fails (wrong CA, password, port, TLS)"),
    LogSignature("gateway", "Redis health check failed", "storage-failed",
                 Range(since="v5.8.0"), note="the liveness check; /hello reports redis fail"),
    LogSignature("gateway", "--> [REDIS] Creating cluster client", "cluster-mode",
                 Range("v2.9.3", "v5.2")),
    LogSignature("gateway", "--> Using clustered mode", "cluster-mode",
                 Range("v1.9.1", "v2.9.2"),
                 note="the redigocluster era: where REDIGOCLUSTER_SHARDCOUNT can matter"),
    LogSignature("gateway", "redis: connection pool timeout", "pool-timeout",
                 Range(since="v2.9.3"),
                 note="go-redis ErrPoolTimeout: every pool connection busy for PoolTimeout;"
                      " a sign optimisation_max_active is too small for the load"),
    LogSignature("pump", "Error connecting to Temporal Storage", "storage-failed",
                 Range(since="v1.10.0"), note="fatal: the pump exits"),
    LogSignature("pump", "Starting purge loop @", "purging", Range(since="v1.10.0")),
    LogSignature("pump", "Error on Purge Loop. Is Temporal Storage down?", "storage-failed",
                 Range(since="v1.14.0"),
                 note="not fatal: the pump stays up (its health endpoint still says ok)"),
    LogSignature("pump", "Serving health check endpoint at", "health", Range(since="v1.10.0")),
    # stackctl drill (issue 18): what a Redis node fault leaves in the gateway's log
    LogSignature("gateway", "EXECABORT Transaction discarded", "transaction-aborted",
                 Range(since="v2.9.3"),
                 note="Redis' answer to EXEC after a command of the MULTI failed (a node "
                      "gone mid-transaction: MOVED/CLUSTERDOWN inside the pipeline)"),
    LogSignature("gateway", "can't parse int reply", "bad-reply", Range(since="v2.9.3"),
                 note="go-redis internal/proto/reader.go: an answer out of step with its "
                      "command (e.g. \"*0\" where an integer was due) on a reused connection"),
    LogSignature("gateway", "Redis is either down", "storage-failed", Range(since="v5.8.0"),
                 note="storage.ErrRedisIsDown (storage/redis_cluster.go), also quoted "
                      "inside other lines; the full line is matched first above"),
    LogSignature("gateway", "http: proxy error: context canceled", "client-canceled",
                 Range(since="v2.9.3"),
                 note="the client gave up (its timeout) while the gateway still worked on "
                      "the request"),
    LogSignature("gateway", "Attempted access with non-existent key", "key-not-found",
                 Range(since="v2.9.3"),
                 note="gateway/mw_auth_key.go:32,128 (5.8.1): the key's session could not "
                      "be read, answered 403 (TykErrors[ErrAuthKeyNotFound], :43-46); for a "
                      "valid key, Redis did not answer (tyk#3047, tyk#3178)"),
)

# stackctl drill (issue 18)
SESSION_CACHE_TTL_S = 10
"""How long the gateway keeps a key's session in memory after reading it from Redis
(gateway/server.go cacheCreate: cache.New(10, 5), 5.8 snapshot); not refreshed on a
hit, so a key's first Redis read after a fault comes at most this long after it.
`local_session_cache.cached_session_timeout` exists in config.go but nothing reads it."""
ANALYTICS_LIST = "analytics-tyk-system-analytics"
"""The Redis list the gateway pushes analytics records to and the pump drains
(gateway/analytics.go analyticsKeyName with the store's "analytics-" KeyPrefix); with
enable_multiple_analytics_keys also ANALYTICS_LIST_<0..9> (redis_analytics_purger.go)."""
ANALYTICS_SHARDS = 10
ANALYTICS_LISTS = (ANALYTICS_LIST, *(f"{ANALYTICS_LIST}_{i}" for i in range(ANALYTICS_SHARDS)))
"""Every list a gateway may push analytics records to (either setting)."""
PUMP_PURGE_DELAY_SHIPPED_S = 10
"""The purge_delay of tyk-pump's shipped configs (pump.example.conf, ci/install/pump.conf,
tyk-pump.docker.conf, v1.14.0): how often another deployment's pump likely drains."""

SHIPPED_GATEWAY = Shipped(
    "gateway",
    "ci/install/data/tyk.standalone.conf (the official image's tyk.conf), read in the "
    "gateway module snapshot e65eff00608a (5.8 line)",
    (
        ("listen_port", 8080),
        ("secret", "352d20ee67be67f6340b4c0605b044b7"),
        ("template_path", "/opt/tyk-gateway/templates"),
        ("tyk_js_path", "/opt/tyk-gateway/js/tyk.js"),
        ("middleware_path", "/opt/tyk-gateway/middleware"),
        ("use_db_app_configs", False),
        ("app_path", "/opt/tyk-gateway/apps/"),
        ("storage.type", "redis"),
        ("storage.host", "tyk-redis"),
        ("storage.port", 6379),
        ("storage.username", ""),
        ("storage.password", ""),
        ("storage.database", 0),
        ("storage.optimisation_max_idle", 2000),
        ("storage.optimisation_max_active", 4000),
        ("enable_analytics", False),
        ("analytics_config.type", ""),
        ("analytics_config.purge_interval", -1),
        ("analytics_config.ignored_ips", []),
        ("health_check.enable_health_checks", False),
        ("health_check.health_check_value_timeouts", 60),
        ("enable_non_transactional_rate_limiter", True),
        ("enable_sentinel_rate_limiter", False),
        ("enable_redis_rolling_limiter", False),
        ("allow_master_keys", False),
        ("policies.policy_source", "file"),
        ("policies.policy_record_name", "/opt/tyk-gateway/policies/policies.json"),
        ("hash_keys", True),
        ("close_connections", False),
        ("http_server_options.enable_websockets", True),
        ("allow_insecure_configs", True),
        ("coprocess_options.enable_coprocess", True),
        ("coprocess_options.coprocess_grpc_server", ""),
        ("enable_bundle_downloader", True),
        ("bundle_base_url", ""),
        ("global_session_lifetime", 100),
        ("force_global_session_lifetime", False),
        ("max_idle_connections_per_host", 500),
        ("enable_jsvm", True),
        ("jwt_ssl_insecure_skip_verify", False),
    ),
)
"""What Tyk ships for the gateway, verbatim. The rendered tyk.conf starts from it; every
difference is a row of DEVIATIONS. Its empty strings, empty lists and zeros are Go's zero
values, so the renderer leaves them out (nothing changes)."""

DEVIATIONS: tuple[Deviation, ...] = (
    Deviation("gateway", "secret", "generated per stack (secrets file)",
              "the shipped secret is public; stackctl generates one and keeps it 0600"),
    Deviation("gateway", "storage", "the one Redis model: addrs of every node, "
              "enable_cluster, the ACL user and password, TLS files, timeout",
              "the shipped block points at one Redis host, tyk-redis, with no auth or TLS"),
    Deviation("gateway", "storage.optimisation_max_idle", "left out",
              "read by nothing since v2.9.3 (go-redis has no idle cap here)"),
    Deviation("gateway", "storage.optimisation_max_active", "gateway.max_active (500)",
              "Tyk's code default; the shipped 4000 is per node and per pool: 4 pools x "
              "4000 = 16,000 connections per node for one gateway, over Redis' default "
              "maxclients of 10,000; `stackctl sweep` finds the size that pays"),
    Deviation("gateway", "max_idle_connections_per_host",
              "gateway.max_idle_connections_per_host (500, as shipped)",
              "a setting, so a sweep or a user can vary it; unset would mean Go's 2"),
    Deviation("gateway", "app_path", "/opt/tyk-gateway/apps (no trailing slash)",
              "stackctl mounts its apps directory there; the same place"),
    Deviation("gateway", "policies.policy_path", "/opt/tyk-gateway/policies",
              "a directory of policy files (stack/tyk/policies) instead of the shipped "
              "policy_record_name file, so a policy is one file"),
    Deviation("gateway", "policies.policy_record_name", "left out",
              "replaced by policy_path"),
    Deviation("gateway", "enable_analytics", "true",
              "the stack includes the pump, and the smoke checks every request reaches "
              "its sink"),
    Deviation("gateway", "analytics_config.enable_multiple_analytics_keys",
              "true with enable_cluster",
              "spreads analytics over ten keys, so over the shards, instead of one list on "
              "one primary"),
    Deviation("gateway", "liveness_check.check_duration", "2 s (default 10 s)",
              "/hello carries Redis details 2 s after start, so `up` waits less; one "
              "Redis PING per 2 s per gateway"),
    Deviation("gateway", "enable_fixed_window_rate_limiter",
              "true only with gateway.rate_limiter = fixed-window",
              "Tyk's default limiter unless the user picks another"),
    Deviation("gateway", "enable_redis_rolling_limiter",
              "true only with gateway.rate_limiter = redis-rolling",
              "Tyk's default limiter unless the user picks another"),
    Deviation("gateway", "enable_sentinel_rate_limiter",
              "true only with gateway.rate_limiter = sentinel",
              "Tyk's default limiter unless the user picks another"),
)
"""Every key the rendered gateway config sets differently from SHIPPED_GATEWAY (a unit
test renders every form and mode and fails on a difference without a row)."""

RATE_LIMITERS: tuple[RateLimiter, ...] = (
    RateLimiter("default", (), "leaky-bucket", False, "none",
                "Tyk's default (DRL): with one gateway, or a rate above drl_threshold (5) "
                "x gateways, an in-memory leaky bucket per gateway; below that threshold "
                "with several gateways it falls back to the Redis rolling limiter"),
    RateLimiter("fixed-window", (("enable_fixed_window_rate_limiter", True),),
                "fixed-window", True, "one INCR (+ EXPIRE) per request",
                "counts in windows aligned on multiples of `per`: exact per window"),
    RateLimiter("redis-rolling", (("enable_redis_rolling_limiter", True),),
                "sliding-log", True,
                "ZREMRANGEBYSCORE, ZCARD, ZADD, EXPIRE per request (pipelined with "
                "enable_non_transactional_rate_limiter)",
                "a sliding log: at most `rate` in any `per` seconds; blocked requests are "
                "logged too, so a client over its limit stays blocked"),
    RateLimiter("sentinel", (("enable_sentinel_rate_limiter", True),), "sentinel", True,
                "the rolling limiter's commands off the request path, plus a GET and "
                "SETNX of <key>.BLOCKED",
                "the sliding log written asynchronously: requests in flight before the "
                "sentinel key lands pass, so it lets a few more through"),
)
"""The gateway's rate limiters, selected by `gateway.rate_limiter`; precedence in the
gateway (session_manager.go): fixed-window, then sentinel, then redis-rolling, else DRL."""

LIMITER_CLIENT_TLS_FILES = AnyOf((Range("v5.8.6", "v5.8"), Range(since="v5.10.0")))
"""Releases whose rate limiter's own Redis client (internal/rate/storage.go) uses
ca_file/cert_file/key_file: TT-14564, fixed in 5.8.6 and 5.10.0, lacking in the 5.9 line
(tyk-facts §15); before, see LIMITER_TLS_IGNORED (its source and what the user sees)."""

REDIS_KEY_PREFIXES: tuple[RedisKeyPrefix, ...] = (
    RedisKeyPrefix("session", "apikey-",
                   "gateway/api_loader.go: storage.RedisCluster{KeyPrefix: \"apikey-\"}",
                   note="then the key, or its hash with hash_keys (the shipped default)"),
    RedisKeyPrefix("rate-limit", "rate-limit-",
                   "gateway/session_manager.go RateLimitKeyPrefix = rate.LimiterKeyPrefix "
                   "(internal/rate/rate.go \"rate-limit-\")",
                   note="then the key hash; Redis-backed limiters only (DRL counts in "
                        "memory); suffixes per limiter (.BLOCKED, -<window>)"),
)
"""The Redis record names the smoke's probe looks for (read in the 5.8 snapshot)."""

GATEWAY_AUTH_HEADER = "x-tyk-authorization"
"""The header carrying the gateway's `secret` on every /tyk/ call (header/header.go
XTykAuthorization = "X-Tyk-Authorization"; gateway/server.go checkIsAPIOwner answers 403
without it). HTTP header names are case-insensitive."""

_ROUTES = "gateway/server.go loadControlAPIEndpoints (under muxer.PathPrefix(\"/tyk/\"))"
GATEWAY_API: tuple[Endpoint, ...] = (
    Endpoint("hello", "GET", "/hello", False,
             "gateway/server.go: \"/\" + health_check_endpoint_name (default \"hello\")",
             note="liveness: status, version and per-dependency details (redis)"),
    Endpoint("apis", "POST", "/tyk/apis", True, _ROUTES,
             note="file-based API definitions (app_path); served after a reload"),
    Endpoint("api", "DELETE", "/tyk/apis/{api_id}", True, _ROUTES),
    Endpoint("keys-create", "POST", "/tyk/keys/create", True, _ROUTES,
             note="answers key and key_hash"),
    Endpoint("key", "DELETE", "/tyk/keys/{key}", True, _ROUTES, note="404: already gone"),
    Endpoint("reload", "GET", "/tyk/reload", True, _ROUTES,
             note="?block=true waits until this node reloaded (gateway/api.go resetHandler)"),
)
"""The gateway API routes stackctl calls (read in the 5.8 snapshot)."""


# --- hostname endpoints in Tyk's Redis clients (issue 16) -----------------------------
# Read in the module cache at the versions the pinned builds resolve: the gateway snapshot
# (versions.GATEWAY_MODULE) requires TykTechnologies/storage v1.2.2 and go-redis v9.7.0;
# Pump v1.14.0 storage v1.3.0 and go-redis v9.7.3. Both storage versions build the
# cluster client the same way (temporal/internal/driver/redisv9/redisv9.go:60-97,
# redis.UniversalOptions -> redis.NewClusterClient) and set no TLS ServerName
# (temporal/internal/tlsconfig/tlsconfig.go:12-48 HandleTLS). Shown live by
# tests/e2e/test_hostname_endpoints_e2e.py (3 x 1, hostname endpoints, mtls, DNS-only SANs).
_GW_REDIS = "go-redis v9.7.0 (TykTechnologies/storage v1.2.2)"
_PMP_REDIS = "go-redis v9.7.3 (TykTechnologies/storage v1.3.0)"


def _following(component: Component, client: str, slots_line: str, moved_line: str,
               dial_line: str) -> tuple[EndpointFollowing, ...]:
    return (
        EndpointFollowing(
            component, "CLUSTER SLOTS", True, client,
            "the topology comes from CLUSTER SLOTS only (never CLUSTER SHARDS or NODES); "
            "each node's first field is taken verbatim as the host (net.JoinHostPort), so "
            "announced hostnames are dialled by name; only a loopback *IP* is replaced by "
            "the seed's host (osscluster.go replaceLoopbackHost), a name never",
            f"go-redis {slots_line} ClusterSlotsCmd.readReply; osscluster.go newClusterState"),
        EndpointFollowing(
            component, "MOVED/ASK", True, client,
            "the redirect's last word is the address (error.go isMovedError, "
            "internal/util.go GetAddr keeps host:port as given) and a client for it is "
            "created on the spot (clusterNodes.GetOrCreate), followed by a lazy reload",
            f"go-redis error.go:114-135; {moved_line} ClusterClient.process"),
        EndpointFollowing(
            component, "TLS name", True, client,
            "no ServerName is set, so crypto/tls verifies the certificate against the host "
            "dialled: IP SANs for ip endpoints, DNS SANs for hostname endpoints and for a "
            "configuration endpoint given as a seed",
            f"go-redis {dial_line} NewDialer tls.DialWithDialer; Go crypto/tls "
            "tls.go:160-167 (ServerName inferred from addr)"),
    )


ENDPOINT_FOLLOWING: tuple[EndpointFollowing, ...] = (
    *_following("gateway", _GW_REDIS, "command.go:2910-2920", "osscluster.go:992-999",
                "options.go:234-243"),
    *_following("pump", _PMP_REDIS, "command.go:2912-2922", "osscluster.go:1010-1017",
                "options.go:243-252"),
    EndpointFollowing("dashboard", "CLUSTER SLOTS", None, "closed source",
                      "not verifiable here (no source, no image)",
                      "Tyk Dashboard configuration docs"),
)
"""Whether each component's cluster client follows hostname endpoints, per answer kind."""

# --- the commands Tyk's components send, for the external pre-flight (issue 16) --------
_GW_STORE = ("storage v1.2.2 temporal/internal/driver/redisv9 "
             "(keyvalue, list, set, sortedset, queue)")
_GW_CLUSTER = ("go-redis v9.7 ClusterClient: CLUSTER SLOTS for the topology "
               "(osscluster.go loadState)")
_GW_RATE = "tyk internal/rate (rolling and fixed-window limiters), storage/redis_cluster.go"
REDIS_COMMANDS: tuple[RedisCommandUse, ...] = (
    *(RedisCommandUse("gateway", cmd, args, src) for cmd, args, src in (
        ("PING", (), _GW_STORE),
        ("CLUSTER SLOTS", (), _GW_CLUSTER),
        ("GET", ("apikey-x",), _GW_STORE),
        ("SET", ("apikey-x", "v", "EX", "60"), _GW_STORE),
        ("SETNX", ("rate-limit-x.BLOCKED", "1"), _GW_STORE),
        ("DEL", ("apikey-x",), _GW_STORE),
        ("EXISTS", ("apikey-x",), _GW_STORE),
        ("EXPIRE", ("rate-limit-x", "60"), _GW_STORE),
        ("TTL", ("apikey-x",), _GW_STORE),
        ("INCR", ("quota-x",), _GW_STORE),
        ("DECR", ("quota-x",), _GW_STORE),
        ("MGET", ("apikey-x",), _GW_STORE),
        ("SCAN", ("0", "MATCH", "apikey-*"), _GW_STORE),
        ("KEYS", ("apikey-*",), _GW_STORE),
        ("ZADD", ("rate-limit-x", "1", "m"), _GW_RATE),
        ("ZRANGE", ("rate-limit-x", "0", "-1"), _GW_RATE),
        ("ZRANGEBYSCORE", ("rate-limit-x", "0", "1"), _GW_STORE),
        ("ZREMRANGEBYSCORE", ("rate-limit-x", "0", "1"), _GW_RATE),
        ("ZCARD", ("rate-limit-x",), _GW_RATE),
        ("RPUSH", ("analytics-tyk-system-analytics", "r"), _GW_STORE),
        ("LRANGE", ("analytics-tyk-system-analytics", "0", "-1"), _GW_STORE),
        ("LTRIM", ("analytics-tyk-system-analytics", "0", "-1"), _GW_STORE),
        ("LPUSH", ("x", "v"), _GW_STORE),
        ("LLEN", ("x",), _GW_STORE),
        ("LREM", ("x", "0", "v"), _GW_STORE),
        ("SADD", ("x", "m"), _GW_STORE),
        ("SMEMBERS", ("x",), _GW_STORE),
        ("SREM", ("x", "m"), _GW_STORE),
        ("SISMEMBER", ("x", "m"), _GW_STORE),
        ("HSET", ("x", "f", "v"), "tyk gateway (host-check and OAuth stores)"),
        ("HGETALL", ("x",), "tyk gateway (host-check and OAuth stores)"),
        ("PUBLISH", ("tyk.cluster.notifications", "m"), _GW_STORE),
        ("SUBSCRIBE", ("tyk.cluster.notifications",), _GW_STORE),
        ("MULTI", (), "go-redis TxPipelined (rolling limiter, GetAndDeleteSet)"),
        ("EXEC", (), "go-redis TxPipelined (rolling limiter, GetAndDeleteSet)"),
    )),
    *(RedisCommandUse("pump", cmd, args, "tyk-pump storage/temporal_storage.go "
                      "GetAndDeleteSet; storage v1.3.0 list.Pop") for cmd, args in (
        ("PING", ()),
        ("CLUSTER SLOTS", ()),
        ("LRANGE", ("analytics-tyk-system-analytics", "0", "-1")),
        ("LTRIM", ("analytics-tyk-system-analytics", "1", "0")),
        ("DEL", ("analytics-tyk-system-analytics",)),
        ("MULTI", ()),
        ("EXEC", ()),
    )),
)
"""Every Redis command the gateway and pump send (read in the pinned module versions),
with arguments for the pre-flight's `ACL DRYRUN <user> <command> <args>`."""


# --- profile pro: the Dashboard, its database, the Dashboard-mode gateway, sql pumps -----

_PRO_GW = "tyk gateway/server.go, dashboard_register.go (5.8 snapshot); tyk-pro-docker-demo"
PRO_GATEWAY_GENERAL: tuple[Option, ...] = (
    _gg("db_app_conf_options.connection_string", "DBAppConfOptions.ConnectionString", "str",
        note="the Dashboard's URL; a Dashboard-mode gateway fetches /system/apis there"),
    _gg("policies.policy_connection_string", "Policies.PolicyConnectionString", "str",
        note="with policy_source service: /system/policies is fetched there"),
)

_SQL_PUMPS = (
    ("sql", "SQL", "one row per request in tyk_analytics (table_sharding off)"),
    ("sqlaggregate", "SQLAGGREGATE", "per-API aggregates in tyk_aggregated"),
)
SQL_PUMP_TYPES = {"sql": "sql", "sqlaggregate": "sql_aggregate"}
"""Profile pro's sql pumps: pumps-map key -> pump type. The key is the one the env names
(TYK_PMP_PUMPS_<KEY>_*, split at `_`), so a pump whose connection string is in the env
form's secrets file meets its env entry: tyk-pump config.go LoadConfig upper-cases the
file's keys, LoadPumpsByEnv merges the env into the file's pump of that key."""
_SQL_KEYS = (("type", "Type"), ("meta.type", "Meta.Type"),
             ("meta.connection_string", "Meta.ConnectionString"))
PRO_PUMP_GENERAL: tuple[Option, ...] = (
    *(_pg(f"pumps.{name}.{key}", f"Pumps.{go_name}.{go}", "str",
          note=note, secret=key == "meta.connection_string")
      for name, go_name, note in _SQL_PUMPS for key, go in _SQL_KEYS),
    _pg("uptime_pump_config.uptime_type", "UptimePumpConfig.UptimeType", "str",
        note="sql: uptime checks go to PostgreSQL (default mongo)"),
    _pg("uptime_pump_config.type", "UptimePumpConfig.Type", "str"),
    _pg("uptime_pump_config.connection_string", "UptimePumpConfig.ConnectionString", "str",
        secret=True),
)

DASHBOARD_PRO: tuple[Option, ...] = (
    _dg("listen_port", "ListenPort", "int"),
    _dg("admin_secret", "AdminSecret", "str", secret=True,
        note="the Admin API's `admin-auth` header"),
    _dg("shared_node_secret", "NodeSecret", "str", secret=True,
        note="must equal the gateway's node_secret (env TYK_DB_NODESECRET)"),
    _dg("tyk_api_config.Host", "TykAPI.Host", "str",
        note="the gateway's URL as the Dashboard reaches it (capitalised JSON keys)"),
    _dg("tyk_api_config.Port", "TykAPI.Port", "str"),
    _dg("tyk_api_config.Secret", "TykAPI.Secret", "str", secret=True,
        note="must equal the gateway's secret"),
    _dg("hash_keys", "HashKeys", "bool", note="must equal the gateway's hash_keys"),
    _dg("host_config.hostname", "HostConfig.Hostname", "str"),
    *(
        _dg(f"storage.{part}.{key}", f"Storage.{go_part}.{go}", "str",
            secret=key == "connection_string")
        for part, go_part in (("main", "Main"), ("analytics", "Analytics"),
                              ("uptime", "Uptime"))
        for key, go in (("type", "Type"), ("connection_string", "ConnectionString"))
    ),
)

OPTIONS = (*OPTIONS, *PRO_GATEWAY_GENERAL, *PRO_PUMP_GENERAL, *DASHBOARD_PRO)

PRO_DEVIATIONS: tuple[Deviation, ...] = (
    Deviation("gateway", "use_db_app_configs", "true in profile pro",
              "a Dashboard-mode gateway loads its APIs from the Dashboard"),
    Deviation("gateway", "db_app_conf_options", "the Dashboard's URL (profile pro)",
              "where /register/node and /system/apis are"),
    Deviation("gateway", "policies.policy_source", "service in profile pro",
              "policies come from the Dashboard's /system/policies"),
    Deviation("gateway", "policies.policy_connection_string", "the Dashboard's URL (pro)",
              "where /system/policies is"),
    Deviation("gateway", "node_secret", "generated per stack (pro)",
              "the Dashboard's shared_node_secret: the gateway's `authorization` header"),
)
DEVIATIONS = (*DEVIATIONS, *PRO_DEVIATIONS)

DASHBOARD_ADMIN_HEADER = "admin-auth"
"""The Admin API's header carrying the Dashboard's admin_secret (tyk-pro-docker-demo)."""
DASHBOARD_AUTH_HEADER = "authorization"
"""The Dashboard API's header carrying a user's access key; a Dashboard-mode gateway sends
its node_secret in the same header (gateway/dashboard_register.go newRequest)."""
DASHBOARD_NODE_HEADERS = ("x-tyk-nodeid", "x-tyk-nonce", "x-tyk-session-id",
                          "x-tyk-hostname")
"""Headers a Dashboard-mode gateway sends (header/header.go): its node id and the nonce
from the previous answer (the Dashboard checks both), its session id and hostname."""

_DEMO = "tyk-pro-docker-demo up.sh, tyk-k8s-bootstrap; Tyk Dashboard API docs"
DASHBOARD_API: tuple[DashboardEndpoint, ...] = (
    DashboardEndpoint("hello", "GET", "/hello", "none", _DEMO, note="liveness"),
    DashboardEndpoint("orgs", "GET", "/admin/organisations", "admin", _DEMO,
                      note="{organisations: [{id, owner_name, ...}]}"),
    DashboardEndpoint("org-create", "POST", "/admin/organisations", "admin", _DEMO,
                      note="{Status, Message, Meta: <org id>}"),
    DashboardEndpoint("user-create", "POST", "/admin/users", "admin", _DEMO,
                      note="{Status, Message: <access key>, Meta: {id, access_key, ...}}"),
    DashboardEndpoint("user", "GET", "/api/users/{user_id}", "user", _DEMO),
    DashboardEndpoint("user-reset", "POST", "/api/users/{user_id}/actions/reset", "user",
                      _DEMO, note="{new_password, user_permissions}"),
    DashboardEndpoint("apis", "GET", "/api/apis", "user", _DEMO,
                      note="{apis: [{api_definition: {...}}], pages}"),
    DashboardEndpoint("api-create", "POST", "/api/apis", "user", _DEMO,
                      note="body {api_definition: {...}}; answers {Status, Message, Meta: id}"),
    DashboardEndpoint("api-delete", "DELETE", "/api/apis/{id}", "user", _DEMO),
    DashboardEndpoint("policies", "GET", "/api/portal/policies", "user", _DEMO,
                      note="{Data: [{_id, name, ...}], Pages}"),
    DashboardEndpoint("policy-create", "POST", "/api/portal/policies", "user", _DEMO,
                      note="answers {Status, Message: <policy id>, Meta}"),
    DashboardEndpoint("key-create", "POST", "/api/keys", "user", _DEMO,
                      note="answers {key_id, key_hash, data: {...}}"),
)
"""The Dashboard's Admin API and Dashboard API routes the pro bootstrap calls."""

_GW_SIDE = "tyk gateway/dashboard_register.go Init, server.go syncAPISpecs/syncPolicies"
DASHBOARD_NODE_API: tuple[DashboardEndpoint, ...] = (
    DashboardEndpoint("register", "GET", "/register/node", "node", _GW_SIDE,
                      note="answers {Status, Message: {NodeID}, Nonce}; 409: registered"),
    DashboardEndpoint("ping", "GET", "/register/ping", "node", _GW_SIDE,
                      note="every 2 s with the last nonce; 403 makes the gateway register"),
    DashboardEndpoint("deregister", "DELETE", "/system/node", "node", _GW_SIDE),
    DashboardEndpoint("system-apis", "GET", "/system/apis", "node", _GW_SIDE,
                      note="{Message: [{api_definition: {...}, oas}], Nonce}"),
    DashboardEndpoint("system-policies", "GET", "/system/policies", "node", _GW_SIDE,
                      note="{Message: [policy with _id], Nonce}; the policy id is _id"),
    DashboardEndpoint("quota-trigger", "POST", "/system/key/quota_trigger", "node", _GW_SIDE),
)
"""What a Dashboard-mode gateway calls on the Dashboard (`authorization: node_secret`)."""

PRO_SQL_TABLES = {"analytics": "tyk_analytics", "aggregate": "tyk_aggregated",
                  "api_column": "apiid"}
"""Where the pump's sql pumps write (tyk-pump analytics.SQLTable, AggregateSQLTable; the
record's APIID has gorm column apiid)."""


# --- records Tyk's components write to any cluster they use (issue 16, external mode) ---
TYK_RUNTIME_RECORDS: tuple[tuple[str, str], ...] = (
    ("tyk-liveness-probe", "gateway/health_check.go:84 (the Redis liveness check)"),
    ("version-check-*", "gateway/server.go:400 and tyk-pump main.go:164 (KeyPrefix)"),
    ("host-checker:*", "gateway/server.go:387 KeyPrefix \"host-checker:\", "
     "host_checker_manager.go:69 PollerActiveInstanceID"),
)
"""(SCAN pattern, where Tyk writes it): what a gateway or pump leaves on a cluster by
running against it. In external mode `down` deletes the ones that did not exist before
the stack's first `up` (recorded then), never one that did: another Tyk deployment may
share the cluster."""


# --- stackctl drill: clients after a vanished primary (drill2) ---------------------------
GO_REDIS_STATE_RELOAD_S = 10
"""go-redis v9.7.0 osscluster.go:847-857 (clusterStateHolder.Get): the cluster client
reloads CLUSTER SLOTS lazily when its view is older than this (or on MOVED), so a client
may route to a failed primary's address this long after the cluster elected a new one."""

ANALYTICS_RECORDS_BUFFER = 1000
"""tyk checkup/checkup.go:25,110-114: analytics_config.records_buffer_size is raised to at
least this; gateway/analytics.go:128-133 RecordHit sends every request's record into a
channel of this size under a mutex, blocking when it is full (workers:
analytics_config.pool_size, default runtime.NumCPU(), checkup.go:102-107)."""


@dataclass(frozen=True)
class ClientLag:
    """A known reason why a client error window outlasts the cluster's own recovery."""

    kind: str
    scenarios: tuple[str, ...]  # drill scenarios whose fault produces it
    client: str  # the Redis client (and version) that behaves so
    cause: str
    setting: str  # the stackctl setting that shortens it
    tyk_option: str  # the Tyk option behind that setting
    fixed_in: str
    source: str


DIAL_QUEUE = ClientLag(
    kind="dial-queue",
    scenarios=("kill-primary", "stop-primary", "partition-primary"),
    client="the dial lock of go-redis v9.3.1-v9.7.0",
    cause="the failed primary's address vanished from the network (no RST: dials hang "
          "until the dial timeout) and this go-redis dials one connection at a time per "
          "node (hooksMixin.dialHook holds a mutex across the dial), so requests that "
          "picked that node queue behind one dial per storage.timeout; a dial error makes "
          "the pool fail fast only after max_active of them; the client's single lazy "
          "CLUSTER SLOTS reload may ask that node first and queue too (the view stays "
          "stale); once the analytics workers queue there, the records buffer fills and "
          "every request blocks in RecordHit",
    setting="gateway.storage_timeout_s",
    tyk_option="storage.timeout",
    fixed_in="go-redis v9.7.1 (go-redis PRs 3088, 3225: the lock only while reading the "
             "hook; gateway 5.8.6+ and 5.10+ carry it, pump v1.13.0+ has v9.7.3)",
    source="go-redis v9.7.0 redis.go:178-182 (dialHook), internal/pool/pool.go:211-228 "
           "(dialConn, dialErrorsNum >= PoolSize), osscluster.go:1000-1006 (retry on the "
           "same node first), 832-845 and 1190-1210 (one reload at a time, seeds in random "
           "order); storage v1.2.2 temporal/internal/driver/redisv9/redisv9.go:"
           "43-46,67 (DialTimeout = storage.timeout, default 5 s); tyk gateway/analytics.go:"
           "128-133; measured: notes-drill2 (goroutine dumps, SYN_SENT sockets)",
)
"""Named in the drill report when the window outlasts the recovery by more than
GO_REDIS_STATE_RELOAD_S after one of its scenarios."""


# --- which Redis client each gateway release carries, and what that client does (issue 23)
VERSION_LABELS = {"release": RELEASE_LABEL, "go_redis": GO_REDIS_LABEL,
                  "storage": STORAGE_LABEL}
"""Labels a local gateway build carries: the Tyk release its source is, and the go-redis
and storage versions it was built with (they win over GATEWAY_CLIENTS: a local build may
carry another client than the release shipped)."""


@dataclass(frozen=True)
class GatewayRedisClient:
    """The Redis client a range of gateway releases ships: go-redis (a range) and storage."""

    releases: Releases
    go_redis: Range
    storage: str | None
    source: str


_FACTS = "tyk-facts §15"
GATEWAY_CLIENTS: tuple[GatewayRedisClient, ...] = (
    GatewayRedisClient(Range("v5.3.0", "v5.3"), Range("v9.3.1", "v9.7.0"), None,
                       f"{_FACTS}: every 5.3 release has the dial lock (exact version "
                       "not read: the module proxy refuses 5.3 commits)"),
    GatewayRedisClient(Range("v5.8.0", "v5.8.5"), Range.exact("v9.7.0"), "v1.2.2",
                       "tyk go.mod:18,77 at v5.8.1 (module v1.9.2-0.20250509162946-"
                       "e65eff00608a, read in the module cache); unchanged until v5.8.6"),
    GatewayRedisClient(Range("v5.8.6", "v5.8"), Range.exact("v9.13.0"), "v1.3.4",
                       f"tyk go.mod at v5.8.15 ({_FACTS}); the bump came in v5.8.6 "
                       "(TT-15662, tyk#7347)"),
    GatewayRedisClient(Range("v5.9.0", "v5.9"), Range("v9.3.1", "v9.7.0"), None,
                       f"{_FACTS}: the 5.9 line has the dial lock (exact version not read)"),
    GatewayRedisClient(Range("v5.10.0", "v5.12.0"), Range("v9.7.1", "v9.17"), None,
                       f"{_FACTS}: 5.10+ has the fix, 5.12.1 moved to v9.18.0 (exact "
                       "version not read)"),
    GatewayRedisClient(Range(since="v5.12.1"), Range(since="v9.18.0"), None,
                       f"{_FACTS}: 5.12.1+ pins v9.18.0"),
)
"""Gateway release -> go-redis and storage. A release in no row: client unknown."""


@dataclass(frozen=True)
class ClientBehaviour:
    """A known behaviour of the gateway's Redis use, by go-redis version or gateway release."""

    kind: str
    what: str  # one line: what the user sees
    source: str
    go_redis: Range | None = None  # the client versions that behave so
    releases: Releases | None = None  # the gateway releases that behave so
    fixed_in: str = ""
    drilled: bool = True  # False: known from the source only, no drill measured it


DIAL_LOCK_GO_REDIS = Range("v9.3.1", "v9.7.0")
"""The go-redis versions whose dialHook holds the hooks mutex across the whole dial."""
DIAL_LOCK = ClientBehaviour(
    "dial-lock",
    "go-redis holds a per-node lock for the whole dial: dials to a dead node queue one "
    "behind another, storage.timeout each, so clients keep failing after the cluster "
    "recovered",
    "go-redis v9.7.0 redis.go:178-182 (hooksMixin.dialHook: hooksMu.Lock() across "
    "hs.current.dial); v9.7.3 and v9.13.0 redis.go:179-188 take hooksMu.RLock() only to "
    "read the hook, then dial (read in the module cache); the lock came with go-redis#2814 "
    "(v9.3.1), went with #3088 and #3225, backported into v9.7.1",
    go_redis=DIAL_LOCK_GO_REDIS,
    fixed_in="go-redis v9.7.1 (gateway 5.8.6, 5.10.0)")
LIMITER_TLS_IGNORED = ClientBehaviour(
    "limiter-tls",
    "the Redis rate limiters' own client ignores ca_file, cert_file and key_file: with "
    "redis tls or mtls a Redis-backed limiter cannot connect: the fixed window and the "
    "sentinel then let every request through, the sliding log refuses every request of a "
    "limited key (24 of 24 measured here, v5.8.1, mtls)",
    "TT-14564; tyk internal/rate/storage.go:29,45 at v5.8.1 (only InsecureSkipVerify)",
    releases=AnyOf((Range(until="v5.8.5"), Range("v5.9.0", "v5.9"))),
    fixed_in="gateway 5.8.6, 5.10.0")
PROBE_PASS_IN_OUTAGE = ClientBehaviour(
    "probe-regression",
    "/hello and /ready say pass through a whole Redis outage: a health check or `up`'s "
    "wait cannot see Redis down",
    "TT-17486",
    releases=AnyOf((Range.exact("v5.8.14"), Range.exact("v5.13.0"))),
    fixed_in="gateway 5.8.15, 5.13.1, 5.14.0")
BOUNDED_DIALS = ClientBehaviour(
    "bounded-dials",
    "go-redis bounds each dial and retries it (DialerRetries, MaxConcurrentDials): not "
    "drilled by stackctl yet, so the drill's findings may not fit it",
    f"{_FACTS} (gateway 5.12.1+ pins v9.18.0)",
    go_redis=Range(since="v9.18.0"), drilled=False)
CLIENT_BEHAVIOURS: tuple[ClientBehaviour, ...] = (
    DIAL_LOCK, LIMITER_TLS_IGNORED, PROBE_PASS_IN_OUTAGE, BOUNDED_DIALS)
"""Every known behaviour `doctor` names and the drill's findings read."""

LAG_WITHOUT_DIAL_LOCK = ClientLag(
    kind="client-lag",
    scenarios=DIAL_QUEUE.scenarios,
    client="a go-redis without the dial lock",
    cause="not the dial queue (this client dials concurrently); what remains is the "
          f"client's lazy CLUSTER SLOTS reload (every {GO_REDIS_STATE_RELOAD_S} s or on "
          "MOVED; a reload that asks the dead node first waits one dial timeout) and the "
          f"analytics records buffer ({ANALYTICS_RECORDS_BUFFER} records: once the "
          "analytics workers wait on the dead node and it fills, every request blocks in "
          "RecordHit)",
    setting="gateway.storage_timeout_s",
    tyk_option="storage.timeout",
    fixed_in="",
    source="GO_REDIS_STATE_RELOAD_S, ANALYTICS_RECORDS_BUFFER (above)",
)
"""The finding when the window outlasts the recovery with a client that has no dial lock."""

RELOAD_TAIL = ClientLag(
    kind="reload-tail",
    scenarios=(*DIAL_QUEUE.scenarios, "pause-primary"),
    client="go-redis v9's cluster client as Tyk builds it",
    cause="the client routes by a slot map it reloads only when the map is over "
          f"{GO_REDIS_STATE_RELOAD_S} s old or a MOVED arrives, and a failed primary sends "
          "no MOVED, so commands for its slots keep going to its old address, each failing "
          "after a dial or read timeout (storage.timeout), until that reload. Tyk builds "
          "the cluster client with go-redis's defaults, so no Tyk setting changes the "
          "reload (storage.timeout only bounds each failing command: 1 s gave no shorter "
          "window here, MEASURED_DEFAULTS)",
    setting="",
    tyk_option="",
    fixed_in="",
    source="go-redis v9.13.0 osscluster.go:954-965 (clusterStateHolder.Get: LazyReload "
           "after 10*time.Second; v9.7.0 :847-857 the same); storage v1.3.4 "
           "temporal/internal/driver/redisv9/redisv9.go:60-73,96-97 (UniversalOptions with "
           "timeouts, pool size and TLS only, then NewClusterClient)",
)
"""The finding when clients fail more than RELOAD_TAIL_MARGIN_S after the recovery but
no client_lag finding explains it: the phase after recovery, and the lines that make it."""
RELOAD_TAIL_MARGIN_S = 2.0
"""Issue 25's target: a client error window up to this long past the cluster's recovery."""


# --- stackctl drill: what health probes and valid keys say during a fault (issue 25) ----
@dataclass(frozen=True)
class HealthEndpoint:
    """A health endpoint the drill samples during a scenario: what answers it, and what
    its answer is based on."""

    name: str  # the drill's name for the series
    component: Component
    path: str
    based_on: str  # what the answer reflects (and how stale it may be)
    source: str


GATEWAY_LIVENESS_REFRESH_S = 10
"""The gateway answers /hello (and /ready) from health info a ticker refreshes every
liveness_check.check_duration (default 10 s): a Redis failure shows up to this late
(gateway/health_check.go:45-69 initHealthCheck, 5.8.1)."""
HELLO = HealthEndpoint(
    "hello", "gateway", "/hello",
    "HTTP 200 always; the body's details.redis.status from a SET of tyk-liveness-probe "
    f"every {GATEWAY_LIVENESS_REFRESH_S} s",
    "gateway/health_check.go:75-110 gatherHealthChecks, :174-221 liveCheckHandler "
    "(w.WriteHeader(http.StatusOK) whatever the checks say), 5.8.1")
READY = HealthEndpoint(
    "ready", "gateway", "/ready",
    "HTTP 503 when the cached redis check failed, 200 otherwise (and APIs loaded)",
    "Tyk docs, Health Checks (readiness_check_endpoint_name, default /ready); tyk "
    "gateway/health_check.go readinessHandler (a later release than 5.8.1)")
PUMP_HEALTH = HealthEndpoint(
    "pump-health", "pump", "/health",
    "HTTP 200 {\"status\": \"ok\"} always: it never asks Redis",
    "tyk-pump server/server.go:47-51 Healthcheck (v1.14.0)")
READY_ABSENT = Range(until="v5.8.1")
"""Releases without /ready: 5.8.1 registers only health_check_endpoint_name
(gateway/server.go:676, read in the module cache)."""
READY_PRESENT = AnyOf((Range("v5.8.14", "v5.8"), Range(since="v5.13.0")))
"""Releases known to serve /ready (TT-17486 names /ready in 5.8.14 and 5.13.0,
tyk-facts §15). Between these and READY_ABSENT the drill asks the gateway once before the
fault (404: absent)."""


@dataclass(frozen=True)
class LivenessProbe:
    """A Kubernetes liveness probe as a chart sets it: restarted after `failure_threshold`
    consecutive failures, one probe every `period_s`; a probe fails on a status outside
    200-399 or no answer within `timeout_s`."""

    path: str
    initial_delay_s: float
    period_s: float
    timeout_s: float
    failure_threshold: int
    source: str


CHART_LIVENESS = LivenessProbe(
    "/hello", 5, 2, 3, 2,
    "TykTechnologies/tyk-charts components/tyk-gateway/templates/deployment-gw-repset.yaml "
    "(commits 2157676e, 00975850): livenessProbe httpGet /hello, initialDelaySeconds 5, "
    "periodSeconds 2, timeoutSeconds 3, failureThreshold 2 (readinessProbe: /hello every "
    "10 s); Kubernetes: an HTTP probe passes on 200-399")
VALID_KEY_REJECTED = (401, 403)
"""What a valid key gets when the gateway cannot read its session from Redis: 403
"Access to this API has been disallowed" (gateway/mw_auth_key.go:43-46,128, 5.8.1: the
session lookup failed, so the key is treated as non-existent); 401 where an auth
middleware reports it so (tyk#3047, tyk#3178). The drill's keys are valid: for them either
status is a Redis-caused rejection."""
ANALYTICS_EXPIRY_S = 60
"""analytics_config.storage_expiration_time's default: every second the gateway's purger
puts this TTL on each analytics list that has none (gateway/redis_analytics_purger.go:
36-58; checkup/checkup.go:117-121 turns 0 into 60). RPUSH keeps the TTL, so while no pump
drains a list, every record in it is lost together when it expires, at most this long
after the list was created (5.8.1)."""
DRL_CHANNEL = "tyk.cluster.notifications"
"""Every gateway subscribes to this channel and heartbeats on it; the DRL counts the
gateways it hears and gives each a share of every key's rate (gateway/redis_signals.go,
session_manager.go limitDRL; tyk-facts §15). Its subscribers on a cluster are the
gateways using it."""
DRL_NOTICE = "NoticeGatewayDRLNotification"
"""The command of a gateway's DRL heartbeat on DRL_CHANNEL: every
drl_notification_frequency seconds (default DRL_NOTICE_EVERY_S) a JSON notification whose
`payload` is drl.Server {HostName, ID, LoadPerSec, TagHash} (gateway/
distributed_rate_limiter.go NotifyCurrentServerStatus). Only gateways whose DRL runs send
it (not with a Redis limiter selected: server.go startDRL); a gateway counts only peers
with its own TagHash (db_app_conf_options.tags joined; drl.go AddOrUpdateServer)."""
DRL_NOTICE_EVERY_S = 2
"""distributed_rate_limiter.go startRateLimitNotifications: drl_notification_frequency 0
means 2 s; a peer stays counted 4 s after its last heartbeat (drl.go NewCache(4 s))."""
DRL_THRESHOLD = 5.0
"""drl_threshold's default (session_manager.go: 0 means 5). With n gateways heard (itself
included), a key limited to `rate` per `per` s is judged by the in-memory bucket when
n <= 1 or rate/per > n x DRL_THRESHOLD, else by the Redis sliding log
(limitRedis -> doRollingWindowWrite: at most `rate` in any `per` s, shared by every
gateway). The in-memory bucket holds max(rate, n) x 100 tokens and each request takes
n x 100 (drl.go calculateTokenBucketValue: 100 / (1/n)): each gateway passes
max(1, floor(rate / n)) per `per`-second window (internal/memorycache/bucket.go Add)."""
LIVENESS_KEY = "tyk-liveness-probe"
"""What every gateway SETs with a 10 s TTL at each health check (gateway/health_check.go:
84,98): present means a gateway checked this cluster within 10 s."""
HOST_CHECKER_PATTERN = "host-checker:*"
"""The uptime checker's records (TYK_RUNTIME_RECORDS): a gateway or pump has used it."""
LOG_TIME_TEXT = "%b %d %H:%M:%S"
"""The `time=` of the gateway's and the pump's text logs: Go's "Jan 02 15:04:05", UTC, no
year, to the second (tyk log/log.go:77; tyk-pump logger/init.go:32); the gateway's JSON
logs use RFC 3339 (log/log.go:84)."""


# --- stack defaults chosen by measurement (issue 25) --------------------------------------
MEASURED_DEFAULTS: tuple[MeasuredDefault, ...] = (
    MeasuredDefault(
        "redis.node_timeout_ms", 2000, "Redis ships 15000; stackctl had 5000",
        "a dead or stalled primary is marked FAIL after the node timeout and its replica "
        "is elected about a second later, every second of it client errors for a third "
        "of the keys: at 2000 kill-primary's client error window came to the cluster's "
        "recovery, at 5000 it stayed 5.7-7.2 s over; no spurious failover in a 10-minute idle "
        "and a 10-minute 500 req/s soak (below 2000 not measured)",
        "benchmarks/drill_fidelity.py --tls off --scenarios kill-primary,pause-primary "
        "--timeouts 2000,5000 --repeat 3 --rate 200 --duration 30 (v5.8.1 with go-redis "
        "v9.13.0), median window vs median recovery (window spread): kill 4.1 vs 4.6 s "
        "(2.9-8.1) at 2000, 15.8 vs 8.6 s (13.6-17.8) at 5000; pause 4.6 vs 3.9 s "
        "(4.3-15.6) at 2000, 13.6 vs 7.9 s (6.8-14.9) at 5000. benchmarks/"
        "failover_soak.py --node-timeout 2000 --set GATEWAY__STORAGE_TIMEOUT_S=1: every "
        "node's epoch 6 -> 6 and 0 FAIL messages over 600 s idle and 605 s of a 500 req/s "
        "smoke (300,000 requests, p99 2.1 ms, all checks pass). --tls mtls --timeouts "
        "2000 --repeat 3: kill 8.0 vs 4.0 s (7.2-11.3), pause 11.7 vs 4.0 s (9.3-20.0), "
        "against 13.0-16.3 s vs 7.3-8.7 s at 5000 (the drill e2e, 100 req/s)"),
    MeasuredDefault(
        "gateway.storage_timeout_s", 5, "Tyk ships 5",
        "kept: 1 s did not shorten the window beyond three repeats' noise, turned Redis "
        "timeouts into valid-key rejections (up to 10.3 s), and on v5.8.1 as released "
        "(go-redis v9.7.0) lengthened pause-primary's window",
        "benchmarks/drill_fidelity.py --tls off --scenarios kill-primary,pause-primary,"
        "partition-primary --timeouts 2000 --vary gateway.storage_timeout_s=5,1 --repeat 3 "
        "--rate 200 --duration 30, median window at 5 vs 1 (spread at 5): kill 5.7 vs 4.0 s "
        "(3.9-9.0), pause 8.5 vs 8.6 s (7.4-12.3), partition 7.0 vs 11.6 s (5.6-12.2); "
        "valid keys rejected 0-0.6 s at 5, 0-10.3 s at 1. As released, one run each: "
        "pause 8.0 and 6.9 s at 5, 20.0+ and 13.3 s at 1"),
    MeasuredDefault(
        "gateway.local_session_cache", True, "Tyk ships it on",
        "kept: off, every request reads its session from Redis, and the window and the "
        "failed requests grew in kill- and pause-primary, with valid keys rejected for "
        "up to 11.4 s",
        "a 2^3 campaign, one run per combination (benchmarks/drill_fidelity.py --tls off "
        "--scenarios kill-primary,pause-primary,partition-primary --timeouts 2000 --vary "
        "gateway.storage_timeout_s=5,1 --vary gateway.local_session_cache=on,off --vary "
        "gateway.max_active=500,8 --rate 200 --duration 30, v5.8.1 with go-redis v9.13.0), "
        "medians of the four runs on vs off: kill window 6.8 vs 9.9 s, failed requests "
        "564 vs 1034; pause 5.8 vs 9.2 s, 306 vs 788; partition 6.1 vs 8.2 s, 454 vs 395 "
        "(one setting's three repeats spread 4.9-6.6 s; four runs a side, kill and pause "
        "differ by 3.1 and 3.4 s with twice the failures, partition not at all)"),
    MeasuredDefault(
        "gateway.max_active", 500, "Tyk's code default 500, its shipped tyk.conf 4000",
        "kept: a pool of 8 per node failed more requests when a primary died; `stackctl "
        "sweep` names 2 for throughput on this machine, which no failover measurement "
        "supports",
        "the 2^3 campaign above (benchmarks/drill_fidelity.py): kill-primary failed "
        "requests, median of four runs, 388 at 500 vs 1054 at 8 (all four at 8 failed 801 "
        "or more, three of four at 500 447 or fewer); windows within the noise (7.7 vs "
        "8.2 s); pause 542 vs 588, partition 481 vs 395"),
)
"""Defaults of stackctl's settings chosen by measurement, each with what upstream ships
and the figures (a unit test holds the settings' defaults to these values; `config show`
marks them)."""
