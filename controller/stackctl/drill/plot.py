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


@contextmanager
def _figure(path: Path, size: tuple[float, float]) -> Iterator[Any]:
    """One Agg figure's axes; on leaving, the legend, the layout and the PNG written
    atomically to `path` (the figure closed either way)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=100)
    try:
        yield ax
        ax.legend(loc="upper right", fontsize=7)
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    atomic_write(path, buf.getvalue())


def plot_run(run: dict[str, Any], path: Path) -> Path:
    """Draw one run's timeline into `path`."""
    width = float(run["bucket_s"])
    xs = [i * width for i in range(len(run["buckets"]))]
    with _figure(path, (9, 4)) as ax:
        bottom = [0.0] * len(xs)
        for cls in CLASSES:
            ys = [b[cls] / width for b in run["buckets"]]
            if any(ys):
                ax.bar(xs, ys, width=width, bottom=bottom, align="edge",
                       color=COLORS[cls], label=cls, linewidth=0)
                bottom = [b + y for b, y in zip(bottom, ys, strict=True)]
        ax.axvline(run["fault_s"], color="red", linestyle="--", label="fault")
        if run["cluster"]["recovered_s"] is not None:
            ax.axvline(run["cluster"]["recovered_s"], color="blue", linestyle="--",
                       label="cluster recovered")
        w = run["error_window"]
        if w:
            ax.axvspan(w["start_s"], w["end_s"], color="red", alpha=0.08,
                       label="client error window")
        ax.set_xlabel("seconds since the load started (by send time)")
        ax.set_ylabel("requests/s")
        ax.set_title(f"{run['scenario']} on {run['target']['service']}: error window "
                     f"{run['error_window_s']:.1f} s")
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
