"""The `optimisation_max_idle` A/B: the same pool with and without the idle setting, the
measured difference against the repeats' own noise."""

from __future__ import annotations

from typing import Any

from stackctl.tyk.lookup import by_role


def idle_ab(a: dict[str, Any], b: dict[str, Any], release: str) -> dict[str, Any]:
    """Compare the `rps` summaries (`stats.Spread` dicts) of the A and B points."""
    opt = by_role("gateway", "max_idle")
    ra, rb = float(a["median"]), float(b["median"])
    diff = (rb - ra) / ra * 100 if ra else 0.0
    noise = max(float(a["spread_pct"]), float(b["spread_pct"]))
    repeats = min(int(a["n"]), int(b["n"]))
    if repeats < 2:
        verdict = (f"difference {diff:+.1f}%; noise not measured with {repeats} repeat "
                   "(use --repeat 3 or more)")
    elif abs(diff) <= noise:
        verdict = f"no measurable effect: {diff:+.1f}% is within the noise ({noise:.1f}%)"
    else:
        verdict = f"difference {diff:+.1f}% exceeds the noise ({noise:.1f}%)"
    return {"a_rps": ra, "b_rps": rb, "diff_pct": round(diff, 2),
            "noise_pct": round(noise, 2), "repeats": repeats, "verdict": verdict,
            "env": opt.env, "release": release, "read_by_release": opt.effective(release),
            "tables_note": opt.note}
