"""The steps of `stackctl up`, one module each; `plan.up_steps` lists them in order."""
