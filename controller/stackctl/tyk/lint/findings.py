"""Finding kinds (severity and wording, in one table) and the Finding record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

KINDS: dict[str, tuple[Severity, str, str]] = {
    "unreadable": ("error", "cannot be read: {reason}", "fix the file"),
    "unknown-component": (
        "error", "cannot tell which Tyk component this configures",
        "give tyk.conf, pump.conf, tyk_analytics.conf or TYK_GW_/TYK_PMP_/TYK_DB_ variables"),
    "wrong-name": ("error", "{component} has no setting {key} ({why}); it is ignored",
                   "use {right}"),
    "unknown-key": ("warning", "{key} is not a {component} Redis setting; it is ignored",
                    "{close}"),
    "not-in-version": ("error", "{key} exists in {component} {range} only; {release} ignores it",
                       "use a release in that range, or remove it"),
    "no-effect": ("warning", "{key} has no effect on {component} {release}: {note}",
                  "remove it"),
    "deprecated": ("info", "{key} is deprecated", "use {right}"),
    "standalone-no-effect": (
        "warning", "{key} is read only by {readers}, not by {targets}: {note}",
        "remove it; a modern start-up hang has another cause (see the start-up logs)"),
    "empty-bool": ("error", "{key} is set but empty: {effect}", "set true or false, or unset it"),
    "bad-value": ("error", "{key}={value} is not a valid {kind}", "give a valid {kind}"),
    "bad-type": ("error", "{key} must be a JSON {kind}, not {got}: Go's decoder rejects it",
                 "write it as a {kind}"),
    "list-spaces": ("error", "{key} has spaces around its commas: envconfig keeps them"
                    " and dials {bad}", "write {fixed}"),
    "cluster-database": ("error", "{key} is {value} with enable_cluster: a cluster has only"
                         " database 0 and the value is silently dropped", "set it to 0"),
    "sentinel-wins": ("error", "{key} is set with enable_cluster: sentinel mode wins",
                      "remove {key} for Redis Cluster"),
    "cluster-off": ("warning", "{key} lists {count} nodes but enable_cluster is off: only the"
                    " first is used, as a single node", "set enable_cluster true"),
    "missing-nodes": ("error", "{key} lacks {missing} of this stack's nodes",
                      "list every node: {expected}"),
    "extra-nodes": ("warning", "{key} lists {extra}, not nodes of this stack",
                    "list exactly: {expected}"),
    "few-nodes": ("warning", "{key} lists {count} node(s); a cluster that survives a primary"
                  " loss has at least {min}, and Tyk should list every primary and replica",
                  "list all primaries and replicas"),
    "tls-off": ("warning", "{key} is set but use_ssl is off: TLS fields apply only with TLS on",
                "turn TLS on, or remove {key}"),
    "purge-delay": ("error", "{key} is {value}: the pump never purges (time.Tick(0))",
                    "set it > 0, e.g. 2"),
    "upstream-idle-unset": (
        "warning", "{key} is unset: Go keeps 2 idle upstream connections per host, so every"
        " request beyond two in flight opens and closes one (TIME_WAIT piles up, throughput"
        " falls)", "set it as Tyk ships it: 500"),
    "upstream-idle-low": (
        "warning", "{key} is {value}, below the expected concurrency of {concurrency}: the"
        " rest open and close an upstream connection per request",
        "set it to at least {concurrency} (Tyk ships 500)"),
    "uptime-checks": (
        "warning", "{key} is on: the deprecated uptime health checker runs ZADD,"
        " ZREMRANGEBYSCORE, ZRANGE and EXPIRE in MULTI/EXEC on one key, so one primary,"
        " for every request", "set it false, as Tyk ships it"),
    "pairing": ("error", "{what} must be the same for the gateway and the dashboard: {values}",
                "render both from one model (`stackctl render`), or set {key} to the "
                "gateway's {gw_key}"),
    "drift": ("error", "{what} differs across components: {values}",
              "give gateway, pump and dashboard the same Redis settings"),
    "limiter-tls": ("error", "{key} is on with use_ssl and {files}: the rate limiter's own"
                    " Redis client in gateway {release} ignores them (TT-14564), so it cannot"
                    " connect and lets every request through",
                    "use the default limiter, or a gateway of {fixed}"),
    # --against HOST:PORT: the files compared with the live cluster (issue 16)
    "live-missing-nodes": ("error", "{key} lacks {count} node(s) of the live cluster: "
                           "{missing}", "list every primary and replica: {expected}"),
    "live-stale-nodes": ("error", "{key} lists {stale}: not nodes of the live cluster",
                         "remove them; the live nodes are {expected}"),
    "live-config-endpoint": ("info", "{key} gives the configuration endpoint {addr}: the "
                             "cluster names its {count} nodes itself (CLUSTER SLOTS)", ""),
    "live-cluster-flag": ("error", "{key} is {value} but {against} is a Redis Cluster: "
                          "only the first address is used, as a single node",
                          "set enable_cluster true"),
    "live-tls-flag": ("error", "{key} is {value} but {against} {speaks}",
                      "set {key} {want}"),
}


@dataclass(frozen=True)
class Finding:
    """One problem in one file."""

    file: str
    key: str
    severity: Severity
    message: str
    suggestion: str
    kind: str

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def finding(name: str, file: str, key: str, **fields: Any) -> Finding:
    """Build a finding of kind `name` from the table's wording."""
    severity, message, suggestion = KINDS[name]
    values = {"key": key, **fields}
    return Finding(file, key, severity, message.format(**values),
                   suggestion.format(**values), name)
