#!/bin/sh
# What `stackctl status` reads from inside one node: PING, CLUSTER INFO, CLUSTER NODES,
# INFO replication and memory, each after a `## <section>` marker line.
. "$(dirname "$0")/lib.sh"
self="${STACKCTL_TARGET:-127.0.0.1:${STACKCTL_PORT:-6379}}"
echo "## ping"; rcli "$self" ping 2>&1
echo "## cluster info"; rcli "$self" cluster info 2>&1
echo "## cluster nodes"; rcli "$self" cluster nodes 2>&1
echo "## info"; rcli "$self" info replication memory 2>&1
