"""A visible pipeline of small steps (modelled on kind's create actions): each step has a
`name` and `run(ctx)` returning a one-line detail or an `Outcome` (skipped, or failed for a
later step to deal with); `run_steps` runs and reports them in order and stops at the first
failure raised, with a `StepError`."""

from stackctl.pipeline.progress import JsonProgress, PlainProgress, Progress, StepEvent
from stackctl.pipeline.runner import (
    Outcome,
    Step,
    StepResult,
    deferred_failure,
    run_steps,
    skipped,
)

__all__ = ["JsonProgress", "Outcome", "PlainProgress", "Progress", "Step", "StepEvent",
           "StepResult", "deferred_failure", "run_steps", "skipped"]
