"""One PNG per run: requests/s by outcome class against time (by send time, 100 ms
buckets), the fault and the cluster's recovery marked (matplotlib, Agg)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stackctl.drill.buckets import CLASSES
from stackctl.state import atomic_write

COLORS = {"2xx": "tab:green", "401/403": "tab:orange", "429": "tab:purple",
          "5xx": "tab:red", "other": "tab:brown", "error": "black"}


LABELS = {"401/403": "401/403: valid keys rejected (Redis)"}
PROBE_COLORS = {"pass": "tab:green", "warn": "gold", "fail": "tab:red",
                "no answer": "black", "other": "tab:gray"}


@contextmanager
def _figure(path: Path, size: tuple[float, float], panels: int = 1,
            ratios: tuple[int, ...] | None = None) -> Iterator[Any]:
    """One Agg figure's axes (a list of `panels` sharing x when more than one); on
    leaving, the legends, the layout and the PNG written atomically to `path` (the
    figure closed either way)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if panels == 1:
        fig, ax = plt.subplots(figsize=size, dpi=100)
        axes = [ax]
    else:
        fig, grid = plt.subplots(panels, 1, figsize=size, dpi=100, sharex=True,
                                 gridspec_kw={"height_ratios": list(ratios or [1] * panels)})
        axes = list(grid)
    try:
        yield ax if panels == 1 else axes
        for a in axes:
            if a.get_legend_handles_labels()[0]:
                a.legend(loc="upper right", fontsize=7)
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    atomic_write(path, buf.getvalue())


def _probe_state(row: list[Any]) -> str:
    if not row[1]:
        return "no answer"
    if not 200 <= int(row[1]) < 400:
        return "fail"
    return row[2] if row[2] in PROBE_COLORS else "other"


def plot_probes(ax: Any, run: dict[str, Any]) -> None:
    """One lane per probed endpoint: each sample a tick coloured by what it said (a
    non-2xx/3xx status counts as fail)."""
    endpoints = (run.get("probes") or {}).get("endpoints", {})
    shown: set[str] = set()
    for lane, ep in enumerate(endpoints.values()):
        for state in PROBE_COLORS:
            xs = [float(r[0]) for r in ep["series"] if _probe_state(r) == state]
            if xs:
                ax.scatter(xs, [lane] * len(xs), s=6, marker="|", color=PROBE_COLORS[state],
                           label=None if state in shown else f"probe {state}")
                shown.add(state)
    ax.set_yticks(range(len(endpoints)), [ep["path"] for ep in endpoints.values()],
                  fontsize=7)
    ax.set_ylim(-0.6, max(0.6, len(endpoints) - 0.4))
    ax.axvline(run["fault_s"], color="red", linestyle="--")
    if run["cluster"]["recovered_s"] is not None:
        ax.axvline(run["cluster"]["recovered_s"], color="blue", linestyle="--")


def plot_run(run: dict[str, Any], path: Path) -> Path:
    """Draw one run's timeline into `path`: outcomes above, the probes below."""
    width = float(run["bucket_s"])
    xs = [i * width for i in range(len(run["buckets"]))]
    with _figure(path, (9, 5.5), panels=2, ratios=(3, 1)) as (ax, lanes):
        bottom = [0.0] * len(xs)
        for cls in CLASSES:
            ys = [b[cls] / width for b in run["buckets"]]
            if any(ys):
                ax.bar(xs, ys, width=width, bottom=bottom, align="edge",
                       color=COLORS[cls], label=LABELS.get(cls, cls), linewidth=0)
                bottom = [b + y for b, y in zip(bottom, ys, strict=True)]
        ax.axvline(run["fault_s"], color="red", linestyle="--", label="fault")
        if run["cluster"]["recovered_s"] is not None:
            ax.axvline(run["cluster"]["recovered_s"], color="blue", linestyle="--",
                       label="cluster recovered")
        w = run["error_window"]
        if w:
            ax.axvspan(w["start_s"], w["end_s"], color="red", alpha=0.08,
                       label="client error window")
        ax.set_ylabel("requests/s")
        rejected = (run.get("valid_key_rejections") or {}).get("seconds") or 0.0
        ax.set_title(f"{run['scenario']} on {run['target']['service']}: error window "
                     f"{run['error_window_s']:.1f} s"
                     + (f", valid keys rejected {rejected:.1f} s" if rejected else ""))
        plot_probes(lanes, run)
        lanes.set_xlabel("seconds since the load started (by send time; probes by send)")
    return path


def plot_vary(comparison: dict[str, Any], path: Path) -> Path:
    """The --vary comparison: per scenario and combination, the client error window
    beside the cluster's own recovery (bars; a hatched window was still open when the
    load ended, so it is a lower bound)."""
    rows = comparison["rows"]
    names = [f"{r['scenario']}\n{r['combination']}".replace(", ", "\n").replace(
        "images.gateway=", "").replace(":", ":\n") for r in rows]  # an image: name, tag
    xs = list(range(len(rows)))
    with _figure(path, (max(6.0, 1.4 * len(rows) + 2), 4.5)) as ax:
        ax.bar([x - 0.2 for x in xs], [r["error_window_s"] for r in rows], width=0.4,
               color="tab:red", label="client error window",
               hatch=None, edgecolor="black", linewidth=0.3)
        opened = [(x, r) for x, r in zip(xs, rows, strict=True) if r["open"]]
        for n, (x, r) in enumerate(opened):
            ax.bar(x - 0.2, r["error_window_s"], width=0.4, fill=False, hatch="//",
                   edgecolor="black", linewidth=0,
                   label="still open when the load ended (a lower bound)" if n == 0 else None)
        ax.bar([x + 0.2 for x in xs], [r["recovery_s"] or 0.0 for r in rows], width=0.4,
               color="tab:blue", label="cluster recovery")
        ax.set_xticks(xs, names, fontsize=7)
        ax.set_ylabel("seconds (window length; recovery after the fault)")
        ax.set_title("drill --vary: client error window vs the cluster's recovery")
    return path
