"""`stackctl sweep`: load-test the Redis pool size (`optimisation_max_active`) on a running
stack and recommend one.

Modules: `points` (what is asked), `stats` (median, spread, t-interval), `noise` (the A/A
noise, its outliers and the noise figure), `recommend` (the judgement: intervals against
the noise, the group, the knee, the pool), `mechanism` (commands and connections, open
and in use, per Redis node), `project` (Little's law and the projection), `store`
(per-point results, resume), `overrides` (pool settings as env), `session` (the stack's
engine: apply, target, restore), `loadrun` (builtin closed-loop and fixed-rate runs),
`measure` (one repeat), `idle` (the max_idle A/B), `report` and `plot` (output), `run`
(the whole sweep, interleaved).
"""
