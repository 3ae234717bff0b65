#!/bin/sh
# One-shot cluster bootstrap: create the cluster only when no node belongs to one yet.
# Nodes keep nodes.conf on their volumes, so an `up` with kept volumes rejoins the same
# cluster and this script only reports it. A mix of fresh and joined nodes is an error.
set -u
. "$(dirname "$0")/lib.sh"

# The nodes start alongside this container: wait (up to STACKCTL_INIT_WAIT seconds)
# until each answers PONG.
deadline=$(($(date +%s) + ${STACKCTL_INIT_WAIT:-60}))
for node in $STACKCTL_NODES; do
  until [ "$(rcli "$node" ping 2>&1)" = PONG ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "cluster-init: $node does not answer PONG: $(rcli "$node" ping 2>&1 | head -n 1)" >&2
      exit 1
    fi
    sleep 0.2
  done
done

total=0; fresh=0; joined=0
for node in $STACKCTL_NODES; do
  total=$((total + 1))
  info=$(rcli "$node" cluster info 2>&1)
  known=$(field cluster_known_nodes "$info")
  assigned=$(field cluster_slots_assigned "$info")
  if [ -z "$known" ]; then
    echo "cluster-init: $node does not answer CLUSTER INFO: $info" >&2
    exit 1
  elif [ "$known" = 1 ] && [ "$assigned" = 0 ]; then
    fresh=$((fresh + 1))
  else
    joined=$((joined + 1))
  fi
done

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
