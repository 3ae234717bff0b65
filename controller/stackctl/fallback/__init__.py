"""The start-up fallback: detect a component that fails to start, climb the
REDIGOCLUSTER_SHARDCOUNT ladder (128, then 256), remember the rung that worked."""
