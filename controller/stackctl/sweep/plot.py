"""The PNG: median req/s (with min-max bars) and p99 against pool size (matplotlib, Agg)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from stackctl.state import atomic_write
from stackctl.sweep.report import pool_points


def plot(report: dict[str, Any], path: Path) -> Path:
    """Draw the pool curve of `report` into `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = pool_points(report["points"])
    xs = [int(p["point"]["max_active"]) for p in curve]
    rps = [p["summary"]["rps"] for p in curve]
    p99 = [float(p["summary"]["p99_ms"]["median"]) for p in curve]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    try:
        med = [float(s["median"]) for s in rps]
        err = [[m - float(s["min"]) for m, s in zip(med, rps, strict=True)],
               [float(s["max"]) - m for m, s in zip(med, rps, strict=True)]]
        ax.errorbar(xs, med, yerr=err, marker="o", color="tab:blue", capsize=3,
                    label="req/s (median, min-max)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("optimisation_max_active (per Redis node)")
        ax.set_ylabel("req/s", color="tab:blue")
        rec = report["recommendation"]["max_active"]
        if rec is not None:
            ax.axvline(rec, color="tab:green", linestyle="--", label=f"recommended {rec}")
        right = ax.twinx()
        right.plot(xs, p99, marker="s", color="tab:red", label="p99 ms (median)")
        right.set_ylabel("p99 ms", color="tab:red")
        handles = ax.get_legend_handles_labels()
        more = right.get_legend_handles_labels()
        ax.legend(handles[0] + more[0], handles[1] + more[1], loc="best", fontsize=8)
        ax.set_title(f"{report['project']}: gateway {report['release']} x "
                     f"{report['gateways']}")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        atomic_write(path, buffer.getvalue())
    finally:
        plt.close(fig)
    return path
