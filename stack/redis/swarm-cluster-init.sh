#!/bin/sh
# Swarm's one-shot cluster bootstrap (a replicated-job task). Swarm pins no addresses:
# the nodes are dialled by name (each a dnsrr service, so the name is its task's current
# address) and resolved here, because CLUSTER MEET takes addresses. The layout is
# explicit so placement can keep a primary and its replicas apart:
#   STACKCTL_PRIMARIES   "host:port ..."          become the primaries (slots split evenly)
#   STACKCTL_REPLICA_OF  "replica>primary ..."    each replica follows that primary
# Nodes keep nodes.conf on their volumes: when they already form a cluster this only
# reports it. A mix of fresh and joined nodes is an error.
set -u
. "$(dirname "$0")/lib.sh"

wait_pong 0.5 || exit 1

# resolve HOST:PORT -> IP:PORT (the task's current address on the overlay)
resolve() {
  _ip=$(getent hosts "${1%:*}" | awk '{print $1; exit}')
  [ -n "$_ip" ] || { echo "cluster-init: cannot resolve ${1%:*}" >&2; return 1; }
  echo "$_ip:${1##*:}"
}

census || exit 1

if [ "$joined" -gt 0 ] && [ "$fresh" -eq 0 ]; then
  echo "cluster-init: cluster exists ($total nodes rejoined); nothing to create"
  exit 0
elif [ "$joined" -gt 0 ]; then
  echo "cluster-init: $fresh of $total nodes are empty while $joined belong to a cluster (volumes lost?); remove the stack with its volumes and start again" >&2
  exit 1
fi

addrs=""
for node in $STACKCTL_PRIMARIES; do
  addrs="$addrs $(resolve "$node")" || exit 1
done
echo "cluster-init: creating the cluster: primaries $STACKCTL_PRIMARIES ($addrs )"
# shellcheck disable=SC2086  # the address list splits into arguments
STACKCTL_CLI_TIMEOUT=120 cli --cluster create $addrs --cluster-replicas 0 --cluster-yes || exit 1
for pair in $STACKCTL_REPLICA_OF; do
  replica=${pair%>*}; primary=${pair#*>}
  id=$(rcli "$primary" cluster myid)
  [ -n "$id" ] || { echo "cluster-init: no node id from $primary" >&2; exit 1; }
  echo "cluster-init: $replica follows $primary ($id)"
  STACKCTL_CLI_TIMEOUT=120 cli --cluster add-node "$(resolve "$replica")" \
    "$(resolve "$primary")" --cluster-slave --cluster-master-id "$id" || exit 1
done
echo "cluster-init: done"
