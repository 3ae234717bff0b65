"""`drill --vary SETTING=LIST`: the settings a drill may vary, each value checked
against the settings model before the stack is touched; every combination applied by
changing only what it touches (the gateways recreated for a gateway setting or another
gateway image; the node timeout set live on every node with CONFIG SET and in the
re-rendered redis.conf), and the stack's own values put back at the end."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.context.render import render_stack
from stackctl.engine.factory import stack_context
from stackctl.errors import ConfigError, ToolError
from stackctl.model import build_model
from stackctl.settings import GatewaySettings, ImageSettings, RedisSettings, Settings

if TYPE_CHECKING:
    from stackctl.context import StackContext

Touches = Literal["redis", "gateways"]
MAX_COMBINATIONS = 12
RECREATE_TIMEOUT_S = 180.0
HELLO_TIMEOUT_S = 60.0
_BOOLS = {"on": True, "true": True, "yes": True, "1": True,
          "off": False, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class Knob:
    """One variable setting: its section, field and what changing it touches."""

    section: Literal["redis", "gateway", "images"]
    name: str
    touches: Touches
    kind: type

    @property
    def setting(self) -> str:
        """`section.name`."""
        return f"{self.section}.{self.name}"


KNOBS: dict[str, Knob] = {k.setting: k for k in (
    Knob("redis", "node_timeout_ms", "redis", int),
    Knob("gateway", "max_active", "gateways", int),
    Knob("gateway", "storage_timeout_s", "gateways", int),
    Knob("gateway", "local_session_cache", "gateways", bool),
    Knob("images", "gateway", "gateways", str),
)}
SECTIONS: dict[str, type[BaseModel]] = {"redis": RedisSettings, "gateway": GatewaySettings,
                                        "images": ImageSettings}
IMAGES_GATEWAY = "images.gateway"
IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$")
"""An image reference as `docker run` takes it (lower-case name, optional registry, tag
and digest): no spaces, no shell characters."""


@dataclass(frozen=True)
class Vary:
    """One --vary: the setting and its values, in the order given."""

    knob: Knob
    values: tuple[Any, ...]


def _value(knob: Knob, text: str) -> Any:
    flag = f"--vary {knob.setting}"
    if knob.kind is str:
        if not IMAGE_REF.match(text) or text.endswith((":", "/")):
            raise ConfigError(flag, f"{text!r} is not an image reference",
                              "give e.g. images.gateway=stackctl/tyk-gateway:v5.8.1,"
                              "tykio/tyk-gateway:v5.8.15")
        return text
    if knob.kind is bool:
        if text.lower() not in _BOOLS:
            raise ConfigError(flag, f"{text!r} is not on or off", "give e.g. on,off")
        return _BOOLS[text.lower()]
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(flag, f"{text!r} is not a whole number",
                          f"give e.g. {knob.setting}=2000,5000") from None
    try:
        SECTIONS[knob.section].model_validate({knob.name: value})
    except ValidationError as exc:
        why = exc.errors()[0]["msg"].lower()
        raise ConfigError(flag, f"{value} is out of range ({why})",
                          "see `stackctl config show --help` for the setting's range"
                          ) from None
    return value


def parse_vary(text: str) -> Vary:
    """`SETTING=V1,V2,...` -> Vary; ConfigError (exit 2) naming what is wrong."""
    setting, sep, values = text.partition("=")
    setting = setting.strip()
    if not sep or not setting:
        raise ConfigError("--vary", f"{text!r} is not SETTING=LIST",
                          "give e.g. --vary redis.node_timeout_ms=2000,5000")
    if setting not in KNOBS:
        raise ConfigError(f"--vary {setting}", "cannot be varied",
                          f"valid: {', '.join(KNOBS)}")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not items:
        raise ConfigError(f"--vary {setting}", "no values", f"give e.g. {setting}="
                          + EXAMPLES.get(KNOBS[setting].kind, "1,5"))
    knob = KNOBS[setting]
    parsed = tuple(dict.fromkeys(_value(knob, v) for v in items))
    return Vary(knob, parsed)


EXAMPLES: dict[type, str] = {bool: "on,off", str: "IMAGE1,IMAGE2"}


def parse_varies(texts: Sequence[str]) -> tuple[Vary, ...]:
    """Every --vary (each setting once), their combinations bounded."""
    varies = tuple(parse_vary(t) for t in texts)
    seen = [v.knob.setting for v in varies]
    dup = next((s for s in seen if seen.count(s) > 1), None)
    if dup is not None:
        raise ConfigError(f"--vary {dup}", "given twice", "give its values in one list")
    n = len(combinations(varies))
    if n > MAX_COMBINATIONS:
        raise ConfigError("--vary", f"{n} combinations", f"at most {MAX_COMBINATIONS}: "
                          "vary fewer settings or values")
    return varies


Combination = dict[str, Any]


def combinations(varies: Sequence[Vary]) -> list[Combination]:
    """Every combination of the values, the first --vary changing slowest ([{}] when
    nothing varies)."""
    names = [v.knob.setting for v in varies]
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(v.values for v in varies))]


def label(combo: Mapping[str, Any]) -> str:
    """`redis.node_timeout_ms=2000, gateway.local_session_cache=off`."""
    def show(v: Any) -> str:
        return ("on" if v else "off") if isinstance(v, bool) else str(v)
    return ", ".join(f"{k}={show(v)}" for k, v in combo.items()) or "as configured"


def with_values(settings: Settings, combo: Mapping[str, Any]) -> Settings:
    """`settings` with the combination's values (validated by the section models)."""
    updates: dict[str, dict[str, Any]] = {}
    for setting, value in combo.items():
        knob = KNOBS[setting]
        updates.setdefault(knob.section, {})[knob.name] = value
    sections = {name: SECTIONS[name].model_validate(
        {**getattr(settings, name).model_dump(), **fields})
        for name, fields in updates.items()}
    return settings.model_copy(update=sections)


def current(settings: Settings, varies: Sequence[Vary]) -> Combination:
    """The stack's own values of the varied settings."""
    return {v.knob.setting: getattr(getattr(settings, v.knob.section), v.knob.name)
            for v in varies}


def touched(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[Touches]:
    """What going from one combination to the other touches."""
    return {KNOBS[k].touches for k in after if before.get(k) != after[k]}


NODE_TIMEOUT = ('. {mount}/lib.sh; rcli "127.0.0.1:${{STACKCTL_PORT:-6379}}" '
                'config set cluster-node-timeout {ms}')


def set_node_timeout(ctx: StackContext, ms: int) -> None:
    """CONFIG SET cluster-node-timeout on every node (live; each node's rendered
    redis.conf carries the value for its next start). ToolError naming a node that
    did not take it."""
    command = NODE_TIMEOUT.format(mount=SCRIPTS_MOUNT, ms=int(ms))
    for node in ctx.model.nodes:
        result = ctx.engine.exec(node.name, ["sh", "-c", command], timeout=10)
        if not result.ok or "OK" not in result.stdout:
            why = (result.stderr or result.stdout).strip() or f"exit {result.returncode}"
            raise ToolError(f"CONFIG SET cluster-node-timeout {ms} on {node.name}: {why}")


def recreate_gateways(ctx: StackContext) -> None:
    """Recreate only the gateway containers from the rendered files (their config
    digest label changed) and wait until each is healthy and reports Redis `pass`."""
    services = ctx.engine.gateway_services()
    ctx.engine.recreate(services)
    ctx.engine.wait_running(RECREATE_TIMEOUT_S, "the gateways", services)
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        wait_redis_pass(gw, HELLO_TIMEOUT_S)


def apply(base: StackContext, combo: Mapping[str, Any], what: set[Touches],
          say: Callable[[str], None]) -> StackContext:
    """Render the stack with `combo` and change what `what` names; the context the
    scenarios then run in."""
    ctx = stack_context(build_model(with_values(base.model.settings, combo)))
    say(f"vary: {label(combo)}")
    render_stack(ctx)
    if "redis" in what:
        set_node_timeout(ctx, ctx.model.settings.redis.node_timeout_ms)
    if "gateways" in what:
        recreate_gateways(ctx)
    return ctx


def put_back(base: StackContext, what: set[Touches], say: Callable[[str], None]) -> None:
    """The stack's own settings again: re-rendered, the node timeout set back live, the
    gateways recreated when a gateway setting was varied."""
    say("vary: putting the stack's own settings back")
    render_stack(base)
    if "redis" in what:
        set_node_timeout(base, base.model.settings.redis.node_timeout_ms)
    if "gateways" in what:
        recreate_gateways(base)


def compare(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The runs side by side: per scenario and combination the mean client error
    window and cluster recovery over its repeats (a window still open at the load's
    end counts as measured: a lower bound, flagged), and per scenario the combination
    with the shortest window (ties: the smaller gap to the recovery) and how far its
    window is from the cluster's own recovery."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["scenario"], label(run.get("vary") or {})), []).append(run)
    rows: list[dict[str, Any]] = []
    for (scenario, combo), members in groups.items():
        windows = [float(r["error_window_s"]) for r in members]
        recoveries = [float(r["recovery_s"]) for r in members if r["recovery_s"] is not None]
        window = round(sum(windows) / len(windows), 3)
        failed = [float(r["failed_after_fault"]) for r in members
                  if r.get("failed_after_fault") is not None]
        recovery = round(sum(recoveries) / len(recoveries), 3) if recoveries else None
        rows.append({"scenario": scenario, "combination": combo,
                     "vary": dict(members[0].get("vary") or {}), "runs": len(members),
                     "error_window_s": window, "recovery_s": recovery,
                     "window_minus_recovery_s": None if recovery is None
                     else round(window - recovery, 3),
                     "open": any(r["error_window_open"] for r in members),
                     "failed_after_fault": round(sum(failed) / len(failed), 1) if failed
                     else None})
    best: dict[str, dict[str, Any]] = {}
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        mine = [r for r in rows if r["scenario"] == scenario]
        top = min(mine, key=lambda r: (r["error_window_s"], r["recovery_s"] is None,
                                       abs(r["window_minus_recovery_s"] or 0.0)))
        best[scenario] = {"combination": top["combination"], "vary": top["vary"],
                          "error_window_s": top["error_window_s"],
                          "recovery_s": top["recovery_s"],
                          "window_minus_recovery_s": top["window_minus_recovery_s"],
                          "open": top["open"]}
    return {"rows": rows, "best": best, "images": image_comparison(runs, rows)}


def best_line(scenario: str, best: Mapping[str, Any]) -> str:
    """One sentence naming the best combination and its distance from the recovery."""
    gap = best["window_minus_recovery_s"]
    rec = best["recovery_s"]
    far = ("the cluster's own recovery was not measured" if gap is None else
           f"{abs(gap):.1f} s {'longer' if gap >= 0 else 'shorter'} than the cluster's own "
           f"recovery ({rec:.1f} s)")
    return (f"{scenario}: shortest client error window with {best['combination']}: "
            f"{'>= ' if best['open'] else ''}{best['error_window_s']:.1f} s, {far}")


def _gateway_text(gateway: Mapping[str, Any] | None) -> str:
    if not gateway:
        return "version not read"
    release = gateway.get("release") or "release unknown"
    return f"Tyk {release}, {gateway.get('client', 'client unknown')}"


def image_comparison(runs: Sequence[Mapping[str, Any]],
                     rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """With --vary images.gateway: per scenario (and per value of the other varied
    settings) the image with the shortest mean client error window against each other
    image, by how much, with each image's release and Redis client (read from the
    running container)."""
    gateways: dict[str, Any] = {}
    for run in runs:
        image = (run.get("vary") or {}).get(IMAGES_GATEWAY)
        if image is not None and run.get("gateway"):
            gateways.setdefault(image, run["gateway"])
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        if IMAGES_GATEWAY not in row["vary"]:
            return []
        others = {k: v for k, v in row["vary"].items() if k != IMAGES_GATEWAY}
        groups.setdefault((row["scenario"], label(others) if others else ""), []).append(row)
    out = []
    for (scenario, rest), members in groups.items():
        best = min(members, key=lambda r: (r["error_window_s"], r["open"],
                                           r.get("failed_after_fault") or 0.0))
        for other in members:
            if other is best:
                continue
            b, o = best["vary"][IMAGES_GATEWAY], other["vary"][IMAGES_GATEWAY]
            out.append({
                "scenario": scenario, "others": rest, "image": b, "against": o,
                "error_window_s": best["error_window_s"], "open": best["open"],
                "against_error_window_s": other["error_window_s"],
                "against_open": other["open"],
                "shortened_by_s": round(other["error_window_s"] - best["error_window_s"], 3),
                "failed": best.get("failed_after_fault"),
                "against_failed": other.get("failed_after_fault"),
                "gateway": gateways.get(b), "against_gateway": gateways.get(o)})
    return out


def image_line(entry: Mapping[str, Any]) -> str:
    """`kill-primary: A (Tyk v5.8.1, go-redis v9.13.0 ...) shortened the client error
    window by 15.0 s against B (...): 5.0 s against >= 20.0 s`."""
    def window(seconds: float, opened: bool) -> str:
        return f"{'>= ' if opened else ''}{seconds:.1f} s"

    where = f"{entry['scenario']}" + (f" [{entry['others']}]" if entry["others"] else "")
    mine = window(entry["error_window_s"], entry["open"])
    theirs = window(entry["against_error_window_s"], entry["against_open"])
    a = f"{entry['image']} ({_gateway_text(entry['gateway'])})"
    b = f"{entry['against']} ({_gateway_text(entry['against_gateway'])})"
    failed = ("" if entry.get("failed") is None or entry.get("against_failed") is None else
              f"; failed requests after the fault {entry['failed']:g} against "
              f"{entry['against_failed']:g}")
    if entry["shortened_by_s"] <= 0:
        both = (" (both still open at the load's end: lower bounds, rerun with a longer "
                "--duration)" if entry["open"] and entry["against_open"] else "")
        return (f"{where}: neither image shortened the client error window: {a} {mine}, "
                f"{b} {theirs}{both}{failed}")
    by = ("at least " if entry["against_open"] and not entry["open"] else "")
    return (f"{where}: {a} shortened the client error window by {by}"
            f"{entry['shortened_by_s']:.1f} s against {b}: {mine} against {theirs}"
            + (" (both still open at the load's end: lower bounds)"
               if entry["open"] and entry["against_open"] else "") + failed)
