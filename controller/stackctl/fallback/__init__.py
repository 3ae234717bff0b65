"""The start-up fallback: detect a component that fails to start, climb the
REDIGOCLUSTER_SHARDCOUNT ladder (128, then 256), remember the rung that worked.

Modules: `state` (the remembered rung, read by the compose renderer), `detect` (one
component's verdict from its container state and log), `watch` (poll until every
component is decided), `ladder` (the climb, with any runner), `stack_runner` (the runner
that re-renders and recreates the real stack), `report` (human lines).
"""
