"""A visible pipeline of small steps (modelled on kind's create actions).

Each step is a class with a `name`, a `title` and `run(ctx) -> str` (a one-line detail);
`runner.run_steps` runs them in order, reports each through the progress reporter with its
elapsed time, and stops at the first failure with a `StepError`.
"""

from stackctl.pipeline.progress import JsonProgress, PlainProgress, Progress, StepEvent
from stackctl.pipeline.runner import Step, StepResult, run_steps

__all__ = ["JsonProgress", "PlainProgress", "Progress", "Step", "StepEvent", "StepResult",
           "run_steps"]
