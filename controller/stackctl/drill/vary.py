"""`drill --vary SETTING=LIST`: the settings a drill may vary, each value checked
against the settings model before the stack is touched; every combination applied by
changing only what it touches (the gateways recreated for a gateway setting; the node
timeout set live on every node with CONFIG SET and in the re-rendered redis.conf), and
the stack's own values put back at the end."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from stackctl.errors import ConfigError, ToolError
from stackctl.settings import GatewaySettings, RedisSettings, Settings

if TYPE_CHECKING:
    from stackctl.context import StackContext

Touches = Literal["redis", "gateways"]
MAX_COMBINATIONS = 12
_BOOLS = {"on": True, "true": True, "yes": True, "1": True,
          "off": False, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class Knob:
    """One variable setting: its section, field and what changing it touches."""

    section: Literal["redis", "gateway"]
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
)}
SECTIONS: dict[str, type[BaseModel]] = {"redis": RedisSettings, "gateway": GatewaySettings}


@dataclass(frozen=True)
class Vary:
    """One --vary: the setting and its values, in the order given."""

    knob: Knob
    values: tuple[Any, ...]


def _value(knob: Knob, text: str) -> Any:
    flag = f"--vary {knob.setting}"
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
        raise ConfigError(f"--vary {setting}", "no values", "give e.g. "
                          f"{setting}={'on,off' if KNOBS[setting].kind is bool else '1,5'}")
    knob = KNOBS[setting]
    parsed = tuple(dict.fromkeys(_value(knob, v) for v in items))
    return Vary(knob, parsed)


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
    from stackctl.cluster.redis_conf import SCRIPTS_MOUNT

    command = NODE_TIMEOUT.format(mount=SCRIPTS_MOUNT, ms=int(ms))
    for node in ctx.model.nodes:
        result = ctx.compose.exec(node.name, ["sh", "-c", command], timeout=10)
        if not result.ok or "OK" not in result.stdout:
            why = (result.stderr or result.stdout).strip() or f"exit {result.returncode}"
            raise ToolError(f"CONFIG SET cluster-node-timeout {ms} on {node.name}: {why}")


def recreate_gateways(ctx: StackContext) -> None:
    """Recreate only the gateway containers from the rendered files (their config
    digest label changed) and wait until each is healthy and reports Redis `pass`."""
    from stackctl.sweep.apply import gateway_services, wait_healthy, wait_redis_pass

    services = gateway_services(ctx)
    ctx.compose.up(services, wait=False, no_deps=True)
    wait_healthy(ctx, services)
    wait_redis_pass(ctx)


def apply(base: StackContext, combo: Mapping[str, Any], what: set[Touches],
          say: Callable[[str], None]) -> StackContext:
    """Render the stack with `combo` and change what `what` names; the context the
    scenarios then run in."""
    from stackctl.context import StackContext as Ctx
    from stackctl.context.render import render_stack
    from stackctl.model import build_model

    ctx = Ctx(build_model(with_values(base.model.settings, combo)))
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
    from stackctl.context.render import render_stack

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
        recovery = round(sum(recoveries) / len(recoveries), 3) if recoveries else None
        rows.append({"scenario": scenario, "combination": combo,
                     "vary": dict(members[0].get("vary") or {}), "runs": len(members),
                     "error_window_s": window, "recovery_s": recovery,
                     "window_minus_recovery_s": None if recovery is None
                     else round(window - recovery, 3),
                     "open": any(r["error_window_open"] for r in members)})
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
    return {"rows": rows, "best": best}


def best_line(scenario: str, best: Mapping[str, Any]) -> str:
    """One sentence naming the best combination and its distance from the recovery."""
    gap = best["window_minus_recovery_s"]
    rec = best["recovery_s"]
    far = ("the cluster's own recovery was not measured" if gap is None else
           f"{abs(gap):.1f} s {'longer' if gap >= 0 else 'shorter'} than the cluster's own "
           f"recovery ({rec:.1f} s)")
    return (f"{scenario}: shortest client error window with {best['combination']}: "
            f"{'>= ' if best['open'] else ''}{best['error_window_s']:.1f} s, {far}")
