"""A visible pipeline of small steps (modelled on kind's create actions).

Each step is a class with a `name` and `run(ctx)` returning a one-line detail (ok) or an
`Outcome` (skipped: the step does not apply; failed: a failure a later step deals with);
`runner.run_steps` runs them in order, reports each through the progress reporter with its
status and elapsed time, and stops at the first failure raised, with a `StepError`.
"""

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
