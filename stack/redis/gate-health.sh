#!/bin/sh
# The gate's healthcheck. The gate is a start-up barrier, not a monitor: it turns healthy
# once cluster-ready.sh passes and stays so for the life of this container (the marker is
# on its tmpfs). After that first pass the check is one file test, so the steady state
# costs only Docker's exec. `stackctl status` reads the live cluster (node-report.sh on
# every node); `stackctl up` runs cluster-ready.sh itself.
marker=${STACKCTL_GATE_MARKER:-/data/cluster-formed}
[ -f "$marker" ] && exit 0
sh "$(dirname "$0")/cluster-ready.sh" && : >"$marker"
