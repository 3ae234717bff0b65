"""The PNG (matplotlib, Agg, imported only when drawn): req/s and p99 against pool size
with their 95% intervals, the noise band under the best, axes from zero, the knee and
the recommendation marked; and the gateway connections per Redis node (in use, and open)
against pool size with the pool's cap."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from stackctl.state import atomic_write
from stackctl.sweep.recommend import GATEWAY_POOLS
from stackctl.sweep.report import pool_points


def _bars(cis: list[dict[str, Any]]) -> tuple[list[float], list[list[float]]]:
    means = [float(c["mean"]) for c in cis]
    return means, [[m - float(c["low"]) for m, c in zip(means, cis, strict=True)],
                   [float(c["high"]) - m for m, c in zip(means, cis, strict=True)]]


def plot(report: dict[str, Any], path: Path) -> Path:
    """Draw the pool curves of `report` into `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = pool_points(report["points"])
    xs = [int(p["point"]["max_active"]) for p in curve]
    rec = report["recommendation"]
    fig, (top, mid, low) = plt.subplots(3, 1, figsize=(7, 10), dpi=100, sharex=True)
    try:
        rps, rps_err = _bars([p["summary"]["rps_ci"] for p in curve])
        top.errorbar(xs, rps, yerr=rps_err, marker="o", color="tab:blue", capsize=3,
                     label="req/s (mean, 95% interval)")
        noise = rec.get("noise")
        if noise and rec["best_rps"]:
            band = rec["best_rps"] * float(noise["pct"]) / 100
            top.axhspan(rec["best_rps"] - band, rec["best_rps"], color="tab:blue",
                        alpha=0.15, label=f"noise below the best ({noise['pct']:.1f}%)")
        top.set_ylim(bottom=0)
        top.set_ylabel("req/s")
        p99, p99_err = _bars([p["summary"]["p99_ci"] for p in curve])
        mid.errorbar(xs, p99, yerr=p99_err, marker="s", color="tab:red", capsize=3,
                     label="p99 ms (mean, 95% interval)")
        mid.set_ylim(bottom=0)
        mid.set_ylabel("p99 ms")
        nodes = sorted({n for p in curve for n in p["mechanism"]})
        for node in nodes:
            line, = low.plot(xs, [p["mechanism"].get(node, {}).get("in_use_connections", 0)
                                  for p in curve], marker=".", label=f"{node} in use")
            low.plot(xs, [p["mechanism"].get(node, {}).get("gateway_connections", 0)
                          for p in curve], linestyle="--", color=line.get_color(),
                     alpha=0.5, label=f"{node} open (peak)")
        gateways = int(report["gateways"])
        low.plot(xs, [GATEWAY_POOLS * x * gateways for x in xs], linestyle=":",
                 color="grey", label="pool cap (4 x max_active x gateways)")
        low.set_yscale("symlog")
        low.set_ylim(bottom=0)
        low.set_ylabel("gateway connections per node")
        low.set_xscale("log", base=2)
        low.set_xlabel("optimisation_max_active (per Redis node)")
        for ax in (top, mid, low):
            if rec["knee"] is not None:
                ax.axvline(rec["knee"], color="tab:orange", linestyle="-.",
                           label=f"knee {rec['knee']}")
            if rec["max_active"] is not None:
                ax.axvline(rec["max_active"], color="tab:green", linestyle="--",
                           label=f"recommended {rec['max_active']}")
            ax.legend(loc="best", fontsize=7)
        top.set_title(f"{report['project']}: gateway {report['release']} x "
                      f"{report['gateways']}")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        atomic_write(path, buffer.getvalue())
    finally:
        plt.close(fig)
    return path
