"""The Tyk tables: envconfig derivation, version ranges, wrong names, log signatures."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from stackctl.render.tyk import GATEWAY_PORT
from stackctl.tyk import lookup
from stackctl.tyk.bundle import flatten
from stackctl.tyk.envconfig import env_value, parse_bool, parse_list
from stackctl.tyk.releases import Range, parse
from stackctl.tyk.schema import Option
from stackctl.tyk.tables import GATEWAY_API, OPTIONS, SPECS, STANDALONE_ENVS, WRONG_NAMES

pytestmark = pytest.mark.unit



def module_source(path: str, version: str) -> Path | None:
    """A Go module's source in the module cache (`images build` downloads it); None when
    absent, which fails under CI (provisioning builds the images) and skips elsewhere."""
    from stackctl.errors import ToolError
    from stackctl.tools.go import go_binary

    try:
        cache = subprocess.run([go_binary(), "env", "GOMODCACHE"], capture_output=True, text=True,
                               timeout=30).stdout.strip()
    except (OSError, ToolError):
        cache = ""
    escaped = re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)
    found = Path(cache, f"{escaped}@{version}") if cache else None
    if found is not None and found.is_dir():
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{path}@{version} is not in the Go module cache: provisioning builds it")
    pytest.skip(f"{path}@{version} not in the Go module cache (run `stackctl images build`)")
    return None


@pytest.mark.parametrize("opt", OPTIONS, ids=lambda o: f"{o.component}:{o.key}")
def test_env_follows_envconfig_rule(opt: Option) -> None:
    spec = SPECS[opt.component]
    go = [*spec.go_block, *opt.go] if opt.redis else list(opt.go)
    assert opt.env == spec.env_prefix + "_" + "_".join(g.upper() for g in go)
    assert opt.env == opt.env.upper() and " " not in opt.env
    assert lookup.by_env(opt.env) is opt


@pytest.mark.parametrize(("component", "key", "env"), [
    ("gateway", "optimisation_max_idle", "TYK_GW_STORAGE_MAXIDLE"),
    ("gateway", "optimisation_max_active", "TYK_GW_STORAGE_MAXACTIVE"),
    ("gateway", "enable_cluster", "TYK_GW_STORAGE_ENABLECLUSTER"),
    ("gateway", "ssl_insecure_skip_verify", "TYK_GW_STORAGE_SSLINSECURESKIPVERIFY"),
    ("gateway", "tls_min_version", "TYK_GW_STORAGE_TLSMINVERSION"),
    ("gateway", "enable_separate_cache_store", "TYK_GW_ENABLESEPERATECACHESTORE"),
    ("gateway", "liveness_check.check_duration", "TYK_GW_LIVENESSCHECK_CHECKDURATION"),
    ("pump", "ssl_ca_file", "TYK_PMP_ANALYTICSSTORAGECONFIG_SSLCAFILE"),
    ("pump", "addrs", "TYK_PMP_ANALYTICSSTORAGECONFIG_ADDRS"),
    ("pump", "pumps.csv.meta.csv_dir", "TYK_PMP_PUMPS_CSV_META_CSVDIR"),
    ("dashboard", "redis_addrs", "TYK_DB_REDISADDRS"),
    ("dashboard", "enable_cluster", "TYK_DB_ENABLECLUSTER"),
    ("dashboard", "redis_hosts", "TYK_DB_HOSTS"),
    ("dashboard", "redis_ca_file", "TYK_DB_REDISCAFILE"),
])
def test_known_env_names(component: str, key: str, env: str) -> None:
    assert lookup.option(component, key).env == env  # type: ignore[arg-type]


def test_pump_alias_prefixes() -> None:
    opt = lookup.option("pump", "addrs")
    assert "TYK_PMP_TEMPORAL_STORAGE_ADDRS" in opt.alias_envs
    assert lookup.by_env("TYK_PMP_REDIS_ADDRS") is opt


@pytest.mark.parametrize("wrong", WRONG_NAMES, ids=lambda w: f"{w.component}:{w.wrong}")
def test_wrong_names_point_at_real_names(wrong: object) -> None:
    from stackctl.tyk.schema import WrongName

    assert isinstance(wrong, WrongName)
    right = lookup.option(wrong.component, wrong.right)
    assert lookup.find_option(wrong.component, wrong.wrong) is None
    if wrong.form == "json":
        found = lookup.misnamed_key(wrong.component, wrong.wrong)
    else:
        found = lookup.misnamed_env(wrong.wrong)
    assert found is not None and found.right is right


@pytest.mark.parametrize(("wrong", "right"), [
    ("TYK_GW_STORAGE_OPTIMISATION_MAX_IDLE", "TYK_GW_STORAGE_MAXIDLE"),
    ("TYK_GW_STORAGE_ENABLE_CLUSTER", "TYK_GW_STORAGE_ENABLECLUSTER"),
    ("TYK_GW_STORAGE_SSLSECURESKIPVERIFY", "TYK_GW_STORAGE_SSLINSECURESKIPVERIFY"),
    ("TYK_GW_STORAGE_MAXVERSION", "TYK_GW_STORAGE_TLSMAXVERSION"),
    ("TYK_PMP_ANALYTICSSTORAGECONFIG_CAFILE", "TYK_PMP_ANALYTICSSTORAGECONFIG_SSLCAFILE"),
    ("TYK_DB_REDIS_ADDRS", "TYK_DB_REDISADDRS"),
    ("TYK_GW_ENABLESEPARATECACHESTORE", "TYK_GW_ENABLESEPERATECACHESTORE"),
])
def test_misnamed_env(wrong: str, right: str) -> None:
    found = lookup.misnamed_env(wrong)
    assert found is not None and found.right.env == right


def test_version_ranges() -> None:
    ca = lookup.option("gateway", "ca_file")
    assert not ca.exists.contains("v5.2.0") and ca.exists.contains("v5.3.0")
    assert lookup.option("pump", "ssl_ca_file").exists.contains("v1.10.0")
    assert not lookup.option("pump", "ssl_ca_file").exists.contains("v1.9.0")
    idle = lookup.option("gateway", "optimisation_max_idle")
    assert idle.effective("v2.9.2") and not idle.effective("v2.9.3")
    assert not idle.effective("v5.8.15")
    assert Range("v2.9.3", "v5.2").contains("v5.2.7")
    assert not Range("v2.9.3", "v5.2").contains("v5.3.0")
    assert parse("v5.8.0-e65eff00608a") == (5, 8, 0)


def test_shardcount_readers() -> None:
    (entry,) = STANDALONE_ENVS
    readers = dict(entry.readers)
    assert readers["gateway"].contains("v2.3.2") and readers["gateway"].contains("v2.9.2")
    assert not readers["gateway"].contains("v2.9.3")
    assert readers["pump"].contains("v0.8.3") and not readers["pump"].contains("v0.8.4")
    assert not readers["gateway"].contains("v5.8.15")


DRILL_MEANINGS = ("transaction-aborted", "bad-reply", "client-canceled", "key-not-found")
"""What a Redis fault leaves in a go-redis era gateway's log (the drill counts them)."""


@pytest.mark.parametrize(("release", "meanings"), [
    ("v5.8.15", {"connected", "timeout", "cluster-init-failed",
                 "pool-timeout", "storage-failed", *DRILL_MEANINGS}),
    ("v5.2.1", {"cluster-mode", "pool-timeout", *DRILL_MEANINGS}),
    ("v2.9.2", {"cluster-mode"}),
])
def test_log_signatures(release: str, meanings: set[str]) -> None:
    found = lookup.signatures("gateway", release)
    assert {s.meaning for s in found} == meanings
    if release == "v2.9.2":
        assert found[0].text == "--> Using clustered mode"


def test_env_values() -> None:
    assert env_value("bool", True) == "true" and env_value("bool", False) == "false"
    assert env_value("list", ["a:1", "b:2"]) == "a:1,b:2"
    assert env_value("map", {"h1": "6379", "h2": "6380"}) == "h1:6379,h2:6380"
    assert env_value("duration", 2_000_000_000) == "2s"
    assert parse_bool("") is None and parse_bool("T") is True
    assert parse_list("a:1, b:2") == ["a:1", " b:2"]


def test_pump_table_matches_source() -> None:
    from stackctl.versions import PUMP_MODULE

    src = module_source(PUMP_MODULE.path, PUMP_MODULE.version)
    assert src is not None
    text = (src / "storage" / "store.go").read_text()
    body = text[text.index("type TemporalStorageConfig struct"):]
    body = body[:body.index("\n}")]
    fields = dict((j, g) for g, j in re.findall(r"^\s*(\w+)\s+\S+\s+`json:\"(\w+)\"", body,
                                                    re.M))
    table = {o.key: o.go[0] for o in lookup.options("pump", redis=True)}
    assert table == fields


def test_shipped_gateway_config_is_the_releases_own_file() -> None:
    """SHIPPED_GATEWAY is verbatim the standalone config in the gateway module stackctl
    builds (the file the official image uses as its tyk.conf)."""
    from stackctl.tyk.tables import SHIPPED_GATEWAY
    from stackctl.versions import GATEWAY_MODULE

    src = module_source(GATEWAY_MODULE.path, GATEWAY_MODULE.version)
    assert src is not None
    shipped = json.loads((src / "ci" / "install" / "data" / "tyk.standalone.conf").read_text())
    assert dict(SHIPPED_GATEWAY.values) == flatten(shipped)


def test_gateway_general_names_match_config_go() -> None:
    """Every gateway name outside the storage block: its JSON key is a field tag in the
    release's config package, on the Go field the table names (so the env name is right)."""
    from stackctl.versions import GATEWAY_MODULE

    src = module_source(GATEWAY_MODULE.path, GATEWAY_MODULE.version)
    assert src is not None
    text = "\n".join(p.read_text() for p in sorted((src / "config").glob("*.go"))
                     if not p.name.endswith("_test.go"))
    tags = re.findall(r"^\s*(\w+)\s+[^\n`]+`[^`]*json:\"(\w+)[,\"]", text, re.M)
    fields: dict[str, set[str]] = {}
    for go, key in tags:
        fields.setdefault(key, set()).add(go)
    for opt in lookup.options("gateway", redis=False):
        if opt.env_only:
            continue
        for key, go in zip(opt.key.split("."), opt.go, strict=True):
            assert go in fields.get(key, set()), f"{opt.key}: no field {go} tagged {key!r}"


def test_gateway_facts_read_through_lookup() -> None:
    assert lookup.redis_key_prefix("session") == "apikey-"
    assert lookup.redis_key_prefix("rate-limit") == "rate-limit-"
    assert lookup.gateway_auth_header() == "x-tyk-authorization"
    assert lookup.gateway_endpoint("hello").auth is False
    assert all(e.auth for e in GATEWAY_API if e.name != "hello")
    with pytest.raises(KeyError):
        lookup.gateway_endpoint("nope")


def test_one_gateway_listen_port_everywhere() -> None:
    """The port the gateway listens on is the shipped listen_port, and the renderer, the
    compose file, the smoke's in-network URL and the sweep's addresses all use it."""
    from stackctl.smoke import redis_probe, run
    from stackctl.tyk import render_gateway
    from stackctl.tyk.tables import SHIPPED_GATEWAY

    port = lookup.gateway_listen_port()
    assert port == dict(SHIPPED_GATEWAY.values)["listen_port"]
    assert GATEWAY_PORT == render_gateway.LISTEN_PORT == port
    assert run.GATEWAY_IN_NETWORK.endswith(f":{port}")
    assert lookup.redis_key_prefix("session") == redis_probe.SESSION_PREFIX
    assert lookup.redis_key_prefix("rate-limit") == redis_probe.COUNTER_PREFIX


def test_gateway_facts_are_literals_only_in_the_tables() -> None:
    """Redis key prefixes, API routes, the auth header and the listen port are written
    once, in tyk/tables.py (settings.py and render/reference.py: the host port's default)."""
    package = Path(__file__).resolve().parents[2] / "controller" / "stackctl"
    literal = re.compile(r"[\"'](apikey-|rate-limit-|/tyk/|/hello[\"'])|x-tyk-authorization"
                         r"|\b8080\b", re.IGNORECASE)
    where = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
             if literal.search(p.read_text())}
    assert where <= {"tyk/tables.py", "settings.py", "render/reference.py"}
    assert "tyk/tables.py" in where


def test_gateway_api_rows_match_source() -> None:
    """The prefixes, the header and the routes are the release's own."""
    from stackctl.versions import GATEWAY_MODULE

    src = module_source(GATEWAY_MODULE.path, GATEWAY_MODULE.version)
    assert src is not None
    assert 'LimiterKeyPrefix = "rate-limit-"' in (src / "internal" / "rate" / "rate.go"
                                                  ).read_text()
    assert 'KeyPrefix: "apikey-"' in (src / "gateway" / "api_loader.go").read_text()
    header = (src / "header" / "header.go").read_text()
    assert re.search(r'XTykAuthorization\s*=\s*"X-Tyk-Authorization"', header)
    server = (src / "gateway" / "server.go").read_text()
    assert 'muxer.PathPrefix("/tyk/")' in server
    assert 'HealthCheckEndpointName = "hello"' in server
    routes = re.findall(r'HandleFunc\("([^"]+)"[^\n]*Methods\(([^)]*)\)', server)
    for end in GATEWAY_API:
        if end.name == "hello":
            continue
        path = re.sub(r"\{\w+\}", "{}", end.path.removeprefix("/tyk"))
        methods: set[str] = set()
        for route, listed in routes:
            if re.sub(r"\{[^}]+\}", "{}", route) == path:
                methods.update((q or c).upper()
                               for q, c in re.findall(r'"(\w+)"|http\.Method(\w+)', listed))
        assert end.method in methods, (end, methods)
