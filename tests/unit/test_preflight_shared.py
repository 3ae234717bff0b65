"""External mode's pre-flight sees another Tyk deployment on the cluster (issue 25,
tyk-facts §15): DRL subscribers beyond this stack's own running gateways and the DRL
heartbeats they send (named, counted as Tyk's DRL counts them), a fresh liveness key with
none of ours running, host-checker records, and analytics lists that drain with no pump of
ours running; a warning that says what follows, and a record the smoke reads back."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from stackctl.cluster.external import PREFLIGHT_SCRIPT, parse_preflight, probe_env, watch_for
from stackctl.cluster.preflight import (
    PREFLIGHT_FILE,
    SharedCluster,
    assess_shared,
    shared_cluster,
)
from stackctl.cluster.tyk_presence import (
    SEP,
    WATCH_COMMANDS,
    Sample,
    heard_peers,
    judge_drain,
    parse_sample,
)
from stackctl.context.shared import shared_cluster as read_shared
from stackctl.engine.factory import stack_context
from stackctl.model import build_model
from stackctl.settings import ExternalRedisSettings, load_settings
from stackctl.tyk.tables import (
    ANALYTICS_LIST,
    ANALYTICS_LISTS,
    DRL_CHANNEL,
    HOST_CHECKER_PATTERN,
    LIVENESS_KEY,
)

pytestmark = pytest.mark.unit


def probe_text(subs: tuple[str, ...], live: str = "0", hosts: str = "",
               tail: str = "") -> str:
    """The pre-flight script's output for three nodes (a replica answers MOVED)."""
    return "".join(
        f"## node 10.0.0.{i}:6379\nping=PONG\nmaxclients=10000\nredis_version=7.0.15\n"
        f"cluster_enabled=1\ndrl_subscribers={s}\nliveness_key={live if i == 1 else 'MOVED 1 x'}"
        f"\nhost_checker={hosts if i == 1 else ''}\n"
        for i, s in enumerate(subs, 1)) + tail + "## dryrun\n"


def heartbeat(host: str, node_id: str, tags: str = "") -> str:
    """One DRL heartbeat as redis-cli prints a pub/sub message to a pipe."""
    server = json.dumps({"HostName": host, "ID": node_id, "LoadPerSec": 1,
                         "Percentage": 0, "TagHash": tags})
    note = json.dumps({"command": "NoticeGatewayDRLNotification", "payload": server,
                       "signature": "", "algorithm": 0})
    return f"message\ntyk.cluster.notifications\n{note}\n"


def heard(*beats: str) -> str:
    return ("## heartbeats\nsubscribe\ntyk.cluster.notifications\n1\n" + "".join(beats))


def test_a_cluster_of_its_own_passes() -> None:
    found = shared_cluster(parse_preflight(probe_text(("0", "0", "0"))))
    assert found.status == "pass" and "no other Tyk seen (0 DRL subscriber(s)" in found.detail
    # a re-up: this stack's own gateway is the one subscriber and heartbeat
    probe = parse_preflight(probe_text(("1", "0", "0"), live="1",
                                       tail=heard(heartbeat("own", "solo-1"))))
    assert shared_cluster(probe, 1).status == "pass"
    shared = assess_shared(probe, 1)
    assert (shared.drl_peers, shared.seen, shared.peers) == (0, False, ("own (solo-1)",))


def test_another_deployment_is_named_with_what_follows() -> None:
    beats = heard(heartbeat("a1b2c3", "solo-9"), heartbeat("d4e5f6", "solo-7"),
                  heartbeat("a1b2c3", "solo-9"))  # every 2 s: heard twice, counted once
    probe = parse_preflight(probe_text(("1", "1", "0"), live="1",
                                       hosts="host-checker:PollerActiveInstanceID", tail=beats))
    shared = assess_shared(probe)
    assert shared.drl_peers == 2 and shared.peers == ("a1b2c3 (solo-9)", "d4e5f6 (solo-7)")
    found = shared_cluster(probe)
    assert found.status == "warn" and found.check == "shared-cluster"
    assert ("2 subscriber(s) of tyk.cluster.notifications besides this stack's 0 running "
            "gateway(s)") in found.detail
    assert ("2 other gateway(s) whose DRL heartbeats were heard (DRL peers: a1b2c3 "
            "(solo-9), d4e5f6 (solo-7))") in found.detail
    assert "tyk-liveness-probe written within 10 s" in found.detail
    assert "host-checker records" in found.detail
    assert "the DRL hears 2 more gateway(s)" in found.detail
    assert "each passes max(1, rate / gateways) per period" in found.detail
    assert "its pump may drain this stack's analytics list too" in found.detail
    assert found.fix.startswith("give this stack a cluster of its own")
    assert shared.analytics.startswith("another deployment's pump may drain")


def test_the_drl_counts_only_peers_of_its_own_tag_group_and_not_this_stack() -> None:
    beats = heard(heartbeat("own", "solo-1"), heartbeat("other", "solo-2"),
                  heartbeat("segment", "solo-3", tags="edge"))
    shared = assess_shared(parse_preflight(probe_text(("3", "0", "0"), tail=beats)), 1)
    assert shared.drl_peers == 1  # 2 untagged heard, 1 of them this stack's
    assert [p.host for p in heard_peers(beats)] == ["own", "other", "segment"]


def test_subscribers_that_send_no_heartbeat_leave_the_rate_alone() -> None:
    # a gateway with a Redis limiter (no DRL) or a Dashboard subscribes but never heartbeats
    probe = parse_preflight(probe_text(("1", "0", "0"), tail=heard()))
    shared = assess_shared(probe)
    assert shared.seen and shared.drl_peers == 0
    assert "no other gateway's DRL heartbeat was heard" in shared_cluster(probe).detail


def test_unreadable_heartbeats_are_an_unknown_count_said_so() -> None:
    probe = parse_preflight(probe_text(("NOPERM", "", "0"), live="1",
                                       tail="## heartbeats\nNOPERM no permissions\n"))
    shared = assess_shared(probe)
    assert shared.drl_peers is None and shared.seen
    assert "heartbeats on tyk.cluster.notifications could not be read" in shared.signs[-1]
    assert "how many gateways the DRL hears is unknown" in shared_cluster(probe).detail


def test_not_listened_when_nobody_else_subscribes() -> None:
    shared = assess_shared(parse_preflight(probe_text(("0", "0", "0"))))
    assert shared.drl_peers == 0 and not shared.seen


def sample_text(at: float, lists: dict[str, tuple[int, int]]) -> str:
    """One analytics sample: node 1 serves the lists given (others MOVED), node 2 none."""
    out = [f"t={at}", "@ 10.0.0.1:6379"]
    for name in ANALYTICS_LISTS:
        n, ttl = lists.get(name, (0, -2))
        out += ([str(n), SEP, str(ttl), SEP] if name in lists
                else ["MOVED 866 10.0.0.2:6379", "", SEP, "MOVED 866 10.0.0.2:6379", SEP])
    out.append("@ 10.0.0.2:6379")
    out += ["MOVED 1 10.0.0.1:6379", SEP] * (2 * len(ANALYTICS_LISTS))
    return "\n".join(out) + "\n"


def test_an_analytics_sample_reads_each_list_where_it_is_served() -> None:
    sample = parse_sample(sample_text(5.0, {ANALYTICS_LIST: (12, 48),
                                            f"{ANALYTICS_LIST}_3": (0, -2)}))
    assert sample == Sample(5.0, {ANALYTICS_LIST: (12, 48)}) and sample.records == 12


def test_a_list_that_shrinks_before_its_ttl_ran_out_was_drained() -> None:
    first = Sample(0.0, {ANALYTICS_LIST: (12, 48), f"{ANALYTICS_LIST}_1": (3, 2)})
    second = Sample(2.0, {})
    drain = judge_drain([first, second])
    assert drain.drained == f"{ANALYTICS_LIST} 12 -> 0 records in 2.0 s (TTL 48 s)"
    assert drain.expired == f"{ANALYTICS_LIST}_1 (3 records, TTL 2 s)"  # expired, not taken
    assert (drain.waiting, drain.watched_s, drain.samples) == (15, 2.0, 2)
    grown = judge_drain([first, Sample(2.0, {ANALYTICS_LIST: (20, 46),
                                             f"{ANALYTICS_LIST}_1": (3, 0)})])
    assert grown.drained == "" and grown.expired == ""
    part = judge_drain([first, Sample(2.0, {ANALYTICS_LIST: (2, 46)})])
    assert part.drained.startswith(f"{ANALYTICS_LIST} 12 -> 2 records")  # chunked purge


def test_a_drain_with_no_pump_of_ours_is_a_sign_and_stops_the_delivery_check() -> None:
    tail = "".join(f"## analytics {i}\n{sample_text(t, lists)}" for i, (t, lists) in
                   enumerate([(100.0, {ANALYTICS_LIST: (40, 55)}), (102.0, {})]))
    probe = parse_preflight(probe_text(("0", "0", "0"), tail=tail))
    assert len(probe.samples) == 2
    shared = assess_shared(probe)
    assert shared.seen and shared.drl_peers == 0
    assert shared.signs == (f"an analytics list drained with no pump of ours running: "
                            f"{ANALYTICS_LIST} 40 -> 0 records in 2.0 s (TTL 55 s)",)
    assert shared.analytics.startswith("another pump drains the analytics lists")
    waiting = assess_shared(parse_preflight(probe_text(("0", "0", "0"), tail=(
        "## analytics 0\n" + sample_text(1.0, {ANALYTICS_LIST: (7, 50)})))))
    assert waiting.signs == ("7 analytics record(s) waiting before any gateway of ours "
                             "runs (not taken in 0 s)",)


def test_the_watch_is_bounded_and_skipped_while_our_pump_runs() -> None:
    watch = watch_for(0, False)
    assert watch.samples * watch.every_s <= 15 and watch.samples >= 2
    assert (watch.samples - 1) * watch.every_s >= 10  # tyk-pump's shipped purge_delay
    assert watch_for(1, True).samples == 0 and watch_for(1, True).own_gateways == 1


def test_the_record_round_trips_through_json() -> None:
    shared = SharedCluster(None, ("a (b)",), ("x",), "y")
    assert SharedCluster.from_dict(json.loads(json.dumps(shared.as_dict()))) == shared
    assert SharedCluster.from_dict(["not", "a", "record"]) is None


FAKE_CLUSTER_CLI = r"""#!/bin/sh
# a stand-in redis-cli for a 2-node cluster with another Tyk: a gateway heartbeating and a
# pump that drains node 1's analytics list after the second sample
host=""; while [ $# -gt 0 ]; do
  case $1 in -h) host=$2; shift 2 ;; -p|--user|--cacert|--cert|--key) shift 2 ;;
    --no-auth-warning|--tls|--insecure) shift ;; *) break ;; esac
done
case "$*" in
  ping) echo PONG ;;
  "config get maxclients") printf 'maxclients\n10000\n' ;;
  "pubsub numsub tyk.cluster.notifications")
    printf 'tyk.cluster.notifications\n%s\n' "$([ "$host" = n1 ] && echo 1 || echo 0)" ;;
  "exists tyk-liveness-probe") echo 1 ;;
  "subscribe tyk.cluster.notifications")
    printf 'subscribe\ntyk.cluster.notifications\n1\nmessage\ntyk.cluster.notifications\n'
    printf '%s\n' "$BEAT"; sleep 30 ;;
  acl*) echo OK ;;
  "") n=$(cat "$STATE.$host" 2>/dev/null || echo 0); echo $((n + 1)) > "$STATE.$host"
      while read -r cmd key; do
        case "$cmd $host $n" in
          "LLEN n1 0"|"LLEN n1 1") [ "$key" = analytics-tyk-system-analytics ] && echo 12 \
            || echo "MOVED 1 n2:6379" ;;
          "LLEN n1 "*) [ "$key" = analytics-tyk-system-analytics ] && echo 0 \
            || echo "MOVED 1 n2:6379" ;;
          "TTL n1 "*) [ "$key" = analytics-tyk-system-analytics ] && echo 50 \
            || echo "MOVED 1 n2:6379" ;;
          ECHO*) echo "$key" ;;
          *) echo "MOVED 9 n1:6379" ;;
        esac
      done ;;
esac
"""


def test_the_probe_script_listens_and_watches_within_its_bounds(tmp_path: Path) -> None:
    """PREFLIGHT_SCRIPT runs for real in `sh` here against the stand-in: it listens because
    a subscriber is not ours, samples until the records fall, and stops there."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "redis-cli").write_text(FAKE_CLUSTER_CLI)
    (bin_dir / "redis-cli").chmod(0o755)
    beat = heartbeat("gw-other", "solo-5").splitlines()[-1]
    env = {**probe_env(ExternalRedisSettings(addrs=["n1:6379"], network="x"),
                       ["n1:6379", "n2:6379"]),
           "PROBE_DRYRUN": "GET k", "PROBE_CHANNEL": DRL_CHANNEL,
           "PROBE_LIVENESS": LIVENESS_KEY, "PROBE_HOSTCHECK": HOST_CHECKER_PATTERN,
           "PROBE_OWN_GATEWAYS": "0", "PROBE_LISTEN_S": "1", "PROBE_WATCH_SAMPLES": "7",
           "PROBE_WATCH_EVERY": "0.2", "PROBE_WATCH_CMDS": WATCH_COMMANDS, "PROBE_SEP": SEP,
           "PATH": f"{bin_dir}:{os.environ['PATH']}", "STATE": str(tmp_path / "calls"),
           "BEAT": beat}
    began = time.monotonic()
    done = subprocess.run(["sh", "-c", PREFLIGHT_SCRIPT], input=b"pw\n", env=env,
                          capture_output=True, check=False, timeout=30)
    took = time.monotonic() - began
    probe = parse_preflight(done.stdout.decode())
    assert done.returncode == 0, done.stderr
    assert took < 5, took  # listened 1 s, three samples 0.2 s apart
    assert [s.records for s in probe.samples] == [12, 12, 0]  # stopped at the fall
    shared = assess_shared(probe)
    assert shared.drl_peers == 1 and shared.peers == ("gw-other (solo-5)",)
    assert any(s.startswith("an analytics list drained with no pump of ours running: "
                            f"{ANALYTICS_LIST} 12 -> 0 records") for s in shared.signs)
    assert probe.dryrun == {"GET k": "OK"}
    quiet = subprocess.run(["sh", "-c", PREFLIGHT_SCRIPT], input=b"pw\n", check=False,
                           env={**env, "PROBE_OWN_GATEWAYS": "1", "PROBE_WATCH_SAMPLES": "0"},
                           capture_output=True, timeout=30)
    again = parse_preflight(quiet.stdout.decode())
    assert again.heartbeats is None and again.samples == ()  # ours: not listened, not watched


def test_the_warning_says_when_the_sliding_log_refuses_everything() -> None:
    probe = parse_preflight(probe_text(("1", "0", "0"), tail=heard(heartbeat("gw", "s-1"))))
    assert "refuses every request (TT-14564)" in shared_cluster(
        probe, sliding_refuses=True).detail
    assert "TT-14564" not in shared_cluster(probe).detail


def test_the_smoke_reads_this_run_s_finding_else_the_last_up_s_record(tmp_path: Path) -> None:
    settings = load_settings(overrides={"state_dir": str(tmp_path / "state"), "redis": {
        "mode": "external", "external": {"addrs": ["clustercfg:6379"], "network": "n"}}})
    ctx = stack_context(build_model(settings))
    assert read_shared(ctx) is None  # no pre-flight yet
    (tmp_path / "state").mkdir()
    recorded = SharedCluster(1, ("gw (solo-5)",), ("1 other gateway(s)",), "may drain")
    (tmp_path / "state" / PREFLIGHT_FILE).write_text(json.dumps(
        {"findings": [], "shared": recorded.as_dict()}))
    assert read_shared(ctx) == recorded  # `stackctl smoke` after `up`
    ctx.results.shared = SharedCluster()
    assert read_shared(ctx) == SharedCluster()  # `up`: this run's own finding
    managed = stack_context(build_model(load_settings(overrides={
        "state_dir": str(tmp_path / "state")})))
    assert read_shared(managed) is None
