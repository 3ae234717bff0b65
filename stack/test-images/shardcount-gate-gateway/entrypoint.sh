#!/bin/sh
# TEST DOUBLE entrypoint: refuse to start below the shard-count threshold, else exec the
# real gateway (PID 1) with its usual arguments.
set -u
have=${REDIGOCLUSTER_SHARDCOUNT:-32}
case $have in ''|*[!0-9]*) have=0 ;; esac
if [ "$have" -lt "$STACKCTL_TEST_MIN_SHARDCOUNT" ]; then
  echo "time=\"$(date '+%b %d %H:%M:%S')\" level=info msg=\"test double: REDIGOCLUSTER_SHARDCOUNT=$have < $STACKCTL_TEST_MIN_SHARDCOUNT\""
  echo "time=\"$(date '+%b %d %H:%M:%S')\" level=info msg=\"--> Using clustered mode\""
  exit 1
fi
exec /opt/tyk-gateway/tyk "$@"
