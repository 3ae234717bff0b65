"""Reaching an existing cluster (`redis.mode = external`) from one-shot Redis-image
containers on the user's network (the controller never dials it): discovery, the
pre-flight probe, key scans and purges. The password reaches redis-cli on stdin then
REDISCLI_AUTH, never a command line or the container's environment."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stackctl.cluster.readiness import CLUSTER_SLOTS, parse_info
from stackctl.cluster.status import ClusterStatus, NodeStatus, split_report
from stackctl.cluster.topology import Topology, build_topology
from stackctl.cluster.tyk_presence import SEP, WATCH_COMMANDS, Sample, parse_sample
from stackctl.errors import ConfigError, ToolError
from stackctl.names import ROLE_EXTERNAL_PROBE, role_labels
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.oneshot import run_oneshot
from stackctl.settings import ExternalRedisSettings as ExternalRedis
from stackctl.tyk.tables import (
    DRL_CHANNEL,
    DRL_NOTICE_EVERY_S,
    HOST_CHECKER_PATTERN,
    LIVENESS_KEY,
    PUMP_PURGE_DELAY_SHIPPED_S,
    TYK_RUNTIME_RECORDS,
)

PROBE_DIR = "/opt/stackctl/probe"
PROBE_LABELS = role_labels(ROLE_EXTERNAL_PROBE)
CLI_TIMEOUT_S = 3

LIB = r"""
set -uf
IFS= read -r secret || secret=""
export REDISCLI_AUTH="$secret"
tls_args() {
  case "$PROBE_TLS" in
    off) ;;
    tls) printf -- '--tls --cacert %s' "$PROBE_CA" ;;
    insecure) printf -- '--tls --insecure' ;;
    mtls) printf -- '--tls --cacert %s --cert %s --key %s' "$PROBE_CA" "$PROBE_CERT" "$PROBE_KEY" ;;
  esac
}
# r ADDR ARGS...: one redis-cli call as the configured user, TLS as configured.
r() {
  a=$1; shift
  # shellcheck disable=SC2046
  timeout "${PROBE_TIMEOUT:-3}" redis-cli -h "${a%:*}" -p "${a##*:}" --user "$PROBE_USER" \
    --no-auth-warning $(tls_args) "$@" 2>&1 </dev/null | tr -d '\r'
}
# rp ADDR: one redis-cli call running the commands on its stdin.
rp() {
  a=$1; shift
  # shellcheck disable=SC2046
  timeout "${PROBE_TIMEOUT:-3}" redis-cli -h "${a%:*}" -p "${a##*:}" --user "$PROBE_USER" \
    --no-auth-warning $(tls_args) 2>&1 | tr -d '\r'
}
"""

DISCOVER_SCRIPT = LIB + r"""
for a in $PROBE_ADDRS; do
  echo "## try $a"
  pong=$(r "$a" ping | head -n 1)
  echo "${pong:-no answer (timeout)}"
  [ "$pong" = PONG ] || continue
  echo "## answered"; echo "$a"
  echo "## info"; r "$a" info server; r "$a" info cluster
  echo "## cluster info"; r "$a" cluster info
  echo "## cluster shards"; r "$a" cluster shards
  echo "## cluster nodes"; r "$a" cluster nodes
  exit 0
done
"""


@dataclass(frozen=True)
class Discovery:
    """What discovery found: the topology, or why no address gave one."""

    topology: Topology | None
    tried: dict[str, str]  # address -> its answer to PING
    info: dict[str, str]  # INFO server + cluster of the node that answered
    cluster_info: dict[str, str]


Runner = Callable[[str, Sequence[tuple[str, str]], dict[str, str], bytes], ExecResult]
"""(script, mounts, env, stdin) -> result: runs a probe script in a one-shot container."""


def probe_env(ext: ExternalRedis, addrs: Sequence[str]) -> dict[str, str]:
    """The probe's environment (nothing secret)."""
    return {"PROBE_ADDRS": " ".join(addrs), "PROBE_USER": ext.user, "PROBE_TLS": ext.tls,
            "PROBE_CA": f"{PROBE_DIR}/ca.crt", "PROBE_CERT": f"{PROBE_DIR}/client.crt",
            "PROBE_KEY": f"{PROBE_DIR}/client.key", "PROBE_TIMEOUT": str(CLI_TIMEOUT_S)}


def probe_mounts(ext: ExternalRedis) -> list[tuple[str, str]]:
    """The user's CA, client certificate and key, read-only at the probe's paths."""
    out: list[tuple[str, str]] = []
    for path, name, setting in ((ext.ca_file, "ca.crt", "ca_file"),
                                (ext.cert_file, "client.crt", "cert_file"),
                                (ext.key_file, "client.key", "key_file")):
        if not path:
            continue
        if not Path(path).is_file():
            raise ConfigError(f"redis.external.{setting} = {path}", "no such file",
                              "give the path of a PEM file")
        out.append((str(Path(path).resolve()), f"{PROBE_DIR}/{name}"))
    return out


def oneshot_runner(image: str, network: str) -> Runner:
    """A Runner on `network` with the Redis `image` (runtime.oneshot)."""

    def run(script: str, mounts: Sequence[tuple[str, str]], env: dict[str, str],
            stdin: bytes) -> ExecResult:
        return run_oneshot(image, ["-c", script], network, mounts, env, stdin=stdin,
                           entrypoint="sh", labels=PROBE_LABELS)

    return run


def parse_discovery(text: str, tls: bool) -> Discovery:
    """The discovery script's output -> Discovery."""
    parts = split_report(text)
    tried = {k[4:]: v.strip().splitlines()[0] if v.strip() else "no answer"
             for k, v in parts.items() if k.startswith("try ")}
    source = parts.get("answered", "").strip()
    if not source:
        return Discovery(None, tried, {}, {})
    info = parse_info(parts.get("info", ""))
    topology = build_topology(source, info.get("redis_version", ""),
                              parts.get("cluster shards", ""), parts.get("cluster nodes", ""),
                              tls)
    return Discovery(topology if topology.nodes else None, tried, info,
                     parse_info(parts.get("cluster info", "")))


def discover(ext: ExternalRedis, password: str, run: Runner) -> Discovery:
    """Ask the configured addresses in order; the topology from the first that answers."""
    result = run(DISCOVER_SCRIPT, probe_mounts(ext), probe_env(ext, ext.addrs),
                 (password + "\n").encode())
    if not result.stdout.strip():
        raise ToolError("external Redis probe: "
                        + result.last_error(f"exit {result.returncode}"))
    return parse_discovery(result.stdout, ext.tls != "off")


def discovery_problem(found: Discovery) -> ConfigError | None:
    """The one bad-input line when discovery found no usable cluster, else None."""
    if not found.info:
        tls = [(a, why) for a, why in found.tried.items()
               if any(t in why for t in ("TLS", "SSL", "certificate"))]
        if tls:
            addr, why = tls[0]
            return ConfigError("pre-flight tls", f"TLS handshake with {addr} failed: {why}",
                               "give the CA that signed the nodes' certificates "
                               "(redis.external.ca_file) and check redis.external.tls")
        answers = "; ".join(f"{a}: {why}" for a, why in found.tried.items())
        return ConfigError("redis.external.addrs", f"no address answers PING ({answers})",
                           "check the addresses, redis.external.network, tls and the "
                           "password (secrets.json redis_password)")
    if found.info.get("cluster_enabled") != "1":
        return ConfigError("redis.external.addrs",
                           f"{found.topology.source if found.topology else 'the server'} "
                           "is not a Redis Cluster (cluster_enabled:0)",
                           "point stackctl at a cluster-mode-enabled Redis (Tyk's "
                           "enable_cluster would fail against it)")
    if found.topology is None:
        return ConfigError("redis.external.addrs", "the cluster reports no nodes",
                           "check that CLUSTER SHARDS / CLUSTER NODES are allowed for "
                           "the user")
    return None


SCAN_SCRIPT = LIB + r"""
for a in $PROBE_ADDRS; do
  echo "## node $a"
  r "$a" role | head -n 1
  for p in $PROBE_PATTERNS; do r "$a" --scan --pattern "$p"; done
done
"""


def scan_nodes(ext: ExternalRedis, password: str, run: Runner, addrs: Sequence[str],
               patterns: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
    """Each node's ROLE and the key names matching `patterns` (SCAN); role "" without an answer."""
    env = {**probe_env(ext, addrs), "PROBE_PATTERNS": " ".join(patterns)}
    result = run(SCAN_SCRIPT, probe_mounts(ext), env, (password + "\n").encode())
    out: dict[str, tuple[str, list[str]]] = {}
    for key, body in split_report(result.stdout).items():
        if not key.startswith("node "):
            continue
        lines = [x.strip() for x in body.splitlines() if x.strip()]
        role = lines[0] if lines and lines[0] in ("master", "slave") else ""
        out[key[5:]] = (role, lines[1:] if role else [])
    return out


def external_status(found: Discovery) -> ClusterStatus:
    """`stackctl status` of an external cluster from one discovery: topology and CLUSTER INFO."""
    problem = discovery_problem(found)
    if problem is not None:
        return ClusterStatus([], {"state": "unreachable", "slots_covered": 0, "primaries": 0,
                                  "replicas": 0}, [str(problem)])
    assert found.topology is not None
    nodes = [NodeStatus(name=n.addr, addr=n.addr, id=n.id, master_id=n.primary_id,
                        reachable=n.health == "online", role=n.role, slots=n.slots,
                        links="", master_link="", memory="", memory_bytes=0)
             for n in (*found.topology.primaries, *found.topology.replicas)]
    state = found.cluster_info.get("cluster_state", "?")
    covered = int(found.cluster_info.get("cluster_slots_ok", "0") or 0)
    problems = [f"{found.topology.source}: cluster_state:{state}"] if state != "ok" else []
    if covered != CLUSTER_SLOTS:
        problems.append(f"{found.topology.source}: cluster_slots_ok:{covered}")
    problems += [f"{n.addr}: health {n.health}" for n in found.topology.nodes
                 if n.health not in ("online", "")]
    summary = {"state": state, "slots_covered": covered,
               "primaries": len(found.topology.primaries),
               "replicas": len(found.topology.replicas), "source": found.topology.source}
    return ClusterStatus(nodes, summary, problems)


PREFLIGHT_SCRIPT = LIB + r"""
first=""; reachable=""; subs=0; subs_unknown=0
for a in $PROBE_ADDRS; do
  echo "## node $a"
  pong=$(r "$a" ping | head -n 1)
  echo "ping=${pong:-no answer (timeout)}"
  [ "$pong" = PONG ] || continue
  [ -n "$first" ] || first=$a
  reachable="$reachable $a"
  if [ "$PROBE_TLS" = mtls ]; then
    echo "nocert=$(PROBE_TLS=tls r "$a" ping | head -n 1)"
  fi
  echo "maxclients=$(r "$a" config get maxclients | sed -n 2p)"
  r "$a" info clients | grep -E '^(maxclients|connected_clients):' | tr : =
  r "$a" info server | grep -E '^redis_version:' | tr : =
  r "$a" info cluster | grep -E '^cluster_enabled:' | tr : =
  n=$(r "$a" pubsub numsub "$PROBE_CHANNEL" | sed -n 2p)
  echo "drl_subscribers=$n"
  case $n in ''|*[!0-9]*) subs_unknown=1 ;; *) subs=$((subs + n)) ;; esac
  echo "liveness_key=$(r "$a" exists "$PROBE_LIVENESS" | head -n 1)"
  echo "host_checker=$(r "$a" --scan --pattern "$PROBE_HOSTCHECK" | head -n 1)"
done
[ -n "$first" ] || exit 0
# Someone besides this stack's gateways subscribes: listen to the DRL's heartbeats.
if [ "$subs_unknown" = 1 ] || [ "$subs" -gt "${PROBE_OWN_GATEWAYS:-0}" ]; then
  echo "## heartbeats"
  (PROBE_TIMEOUT=$PROBE_LISTEN_S; r "$first" subscribe "$PROBE_CHANNEL")
fi
# The analytics lists, sampled while none of this stack's pumps runs: stop when nothing
# waits, or when the records fell (taken or expired: the controller tells which).
i=0; prev=""
while [ "$i" -lt "${PROBE_WATCH_SAMPLES:-0}" ]; do
  [ "$i" = 0 ] || sleep "$PROBE_WATCH_EVERY"
  echo "## analytics $i"
  echo "t=$(date +%s.%N)"
  total=0
  for a in $reachable; do
    out=$(printf "$PROBE_WATCH_CMDS" | rp "$a")
    echo "@ $a"
    printf '%s\n' "$out"
    n=$(printf '%s\n' "$out" | awk -v sep="$PROBE_SEP" \
      '$0 == sep { k++; next } k % 2 == 0 && /^[0-9]+$/ { s += $0 } END { print s + 0 }')
    total=$((total + n))
  done
  [ "$total" -gt 0 ] || break
  [ -z "$prev" ] || [ "$total" -ge "$prev" ] || break
  prev=$total; i=$((i + 1))
done
echo "## dryrun"
set -f  # the commands' arguments hold globs (KEYS apikey-*): no pathname expansion
printf '%s\n' "$PROBE_DRYRUN" | while IFS= read -r cmd; do
  [ -n "$cmd" ] || continue
  # shellcheck disable=SC2086  # the command and its arguments split into words
  printf '%s\t%s\n' "$cmd" "$(r "$first" acl dryrun "$PROBE_USER" $cmd | head -n 1)"
done
"""


@dataclass(frozen=True)
class NodeProbe:
    """What one node answered to the pre-flight probe."""

    addr: str
    ping: str
    fields: dict[str, str]

    @property
    def reachable(self) -> bool:
        """Answered PONG with the configured TLS, user and password."""
        return self.ping == "PONG"


@dataclass(frozen=True)
class PreflightProbe:
    """Every node's answers and the ACL DRYRUN replies (command -> reply); what the DRL
    channel carried while listened to (None: not listened: no subscriber beyond this
    stack's gateways) and the analytics lists' samples (none: not watched)."""

    nodes: list[NodeProbe]
    dryrun: dict[str, str]
    heartbeats: str | None = None
    samples: tuple[Sample, ...] = ()


@dataclass(frozen=True)
class Watch:
    """How the pre-flight looks for other Tyk deployments: this stack's gateways running
    now (their DRL subscriptions are not another's), how long to listen to the DRL
    channel, and the analytics samples (0: not watched, e.g. this stack's pump runs)."""

    own_gateways: int = 0
    listen_s: float = DRL_NOTICE_EVERY_S + 0.5  # every gateway heartbeats once at least
    samples: int = 0
    every_s: float = 2.0


WATCH_EVERY_S = 2.0
WATCH_SAMPLES = math.ceil(PUMP_PURGE_DELAY_SHIPPED_S / WATCH_EVERY_S) + 2
"""A pump with the shipped purge_delay drains within the watch (12 s at most; it ends at
the first sample with nothing waiting or fewer records)."""


def watch_for(own_gateways: int, own_pump: bool) -> Watch:
    """The pre-flight's watch: the analytics lists only while no pump of ours runs."""
    return Watch(own_gateways, samples=0 if own_pump else WATCH_SAMPLES, every_s=WATCH_EVERY_S)


def parse_preflight(text: str) -> PreflightProbe:
    """The pre-flight script's output -> PreflightProbe."""
    nodes: list[NodeProbe] = []
    dryrun: dict[str, str] = {}
    heartbeats: str | None = None
    samples: list[Sample] = []
    for key, body in split_report(text).items():
        if key.startswith("node "):
            fields = dict(line.partition("=")[::2] for line in body.splitlines() if "=" in line)
            nodes.append(NodeProbe(key[5:], fields.pop("ping", ""), fields))
        elif key == "dryrun":
            for line in body.splitlines():
                cmd, _, reply = line.partition("\t")
                if cmd:
                    dryrun[cmd] = reply.strip()
        elif key == "heartbeats":
            heartbeats = body
        elif key.startswith("analytics "):
            samples.append(parse_sample(body))
    return PreflightProbe(nodes, dryrun, heartbeats, tuple(samples))


def probe_preflight(ext: ExternalRedis, password: str, run: Runner, addrs: Sequence[str],
                    commands: Sequence[str], watch: Watch | None = None) -> PreflightProbe:
    """Ask every node what the pre-flight needs; ACL DRYRUN `commands` on the first that
    answers; listen to the DRL channel and sample the analytics lists as `watch` says."""
    watch = watch or Watch()
    env = {**probe_env(ext, addrs), "PROBE_DRYRUN": "\n".join(commands),
           "PROBE_CHANNEL": DRL_CHANNEL, "PROBE_LIVENESS": LIVENESS_KEY,
           "PROBE_HOSTCHECK": HOST_CHECKER_PATTERN,
           "PROBE_OWN_GATEWAYS": str(watch.own_gateways),
           "PROBE_LISTEN_S": f"{watch.listen_s:g}", "PROBE_WATCH_SAMPLES": str(watch.samples),
           "PROBE_WATCH_EVERY": f"{watch.every_s:g}", "PROBE_WATCH_CMDS": WATCH_COMMANDS,
           "PROBE_SEP": SEP}
    result = run(PREFLIGHT_SCRIPT, probe_mounts(ext), env, (password + "\n").encode())
    return parse_preflight(result.stdout)


PURGE_SCRIPT = LIB + r"""
for a in $PROBE_ADDRS; do
  [ "$(r "$a" role | head -n 1)" = master ] || continue
  n=0
  for p in $PROBE_PATTERNS; do
    for k in $(r "$a" --scan --pattern "$p"); do
      printf '%s\n' "${PROBE_KEEP:-}" | grep -Fxq -- "$k" && continue
      [ "$(r "$a" del "$k")" = 1 ] && n=$((n + 1))
    done
  done
  echo "## node $a"; echo "$n"
done
"""


def purge_keys(ext: ExternalRedis, password: str, run: Runner, addrs: Sequence[str],
               patterns: Sequence[str], keep: Sequence[str] = ()) -> int:
    """Delete on every primary the keys matching `patterns` but not in `keep` (SCAN, DEL); how
    many went. For what stackctl wrote to a cluster it does not own."""
    env = {**probe_env(ext, addrs), "PROBE_PATTERNS": " ".join(patterns),
           "PROBE_KEEP": "\n".join(keep)}
    result = run(PURGE_SCRIPT, probe_mounts(ext), env, (password + "\n").encode())
    return sum(int(body.strip() or 0) for key, body in split_report(result.stdout).items()
               if key.startswith("node ") and body.strip().isdigit())


def runtime_records(ext: ExternalRedis, password: str, run: Runner,
                    addrs: Sequence[str]) -> list[str]:
    """The names of Tyk's own records (tables.TYK_RUNTIME_RECORDS) on the cluster now."""
    found = scan_nodes(ext, password, run, addrs, [p for p, _ in TYK_RUNTIME_RECORDS])
    return sorted({k for role, keys in found.values() if role == "master" for k in keys})
