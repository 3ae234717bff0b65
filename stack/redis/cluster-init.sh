#!/bin/sh
# One-shot cluster bootstrap: create the cluster only when no node belongs to one yet.
# Nodes keep nodes.conf on their volumes, so an `up` with kept volumes rejoins the same
# cluster and this script only reports it. A mix of fresh and joined nodes is an error.
set -u
. "$(dirname "$0")/lib.sh"

# The nodes start alongside this container: wait (up to STACKCTL_INIT_WAIT seconds)
# until each answers PONG.
wait_pong 0.2 || exit 1

census || exit 1

if [ "$joined" -eq 0 ]; then
  echo "cluster-init: creating the cluster: $STACKCTL_SHARDS primaries x $STACKCTL_REPLICAS replicas ($total nodes)"
  # shellcheck disable=SC2086  # the node list splits into arguments
  STACKCTL_CLI_TIMEOUT=120 cli --cluster create $STACKCTL_NODES \
    --cluster-replicas "$STACKCTL_REPLICAS" --cluster-yes
elif [ "$fresh" -eq 0 ]; then
  echo "cluster-init: cluster exists ($total nodes rejoined); nothing to create"
else
  echo "cluster-init: $fresh of $total nodes are empty while $joined belong to a cluster (volumes lost?); remove the stack with its volumes and start again" >&2
  exit 1
fi
