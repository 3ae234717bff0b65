#!/bin/sh
# Cluster readiness, the one rule used by the gate's healthcheck and by the tests.
# Ready means, as seen from every node:
#   - the node answers PONG;
#   - cluster_state:ok and cluster_slots_ok:16384;
#   - CLUSTER NODES lists every node, every link connected, no fail / fail? / noaddr /
#     handshake flag;
#   - STACKCTL_SHARDS primaries, each serving slots and followed by STACKCTL_REPLICAS
#     replicas;
#   - a replica's INFO replication says master_link_status:up.
# Every node is asked at once, one connection each. Exit 0 when ready; otherwise exit 1
# with one line saying what is missing.
set -u
. "$(dirname "$0")/lib.sh"

answers=$(mktemp -d)
trap 'rm -rf "$answers"' EXIT
not_ready() {
  echo "not ready: $*" >&2
  exit 1
}

total=0
for node in $STACKCTL_NODES; do
  total=$((total + 1))
  printf 'PING\nCLUSTER INFO\nCLUSTER NODES\nINFO replication\n' \
    | rcli "$node" >"$answers/$node" 2>&1 &
done
wait

for node in $STACKCTL_NODES; do
  answer=$(cat "$answers/$node")
  pong=$(printf '%s\n' "$answer" | head -n 1)
  [ "$pong" = PONG ] || not_ready "$node: ping: ${pong:-no answer}"
  state=$(field cluster_state "$answer")
  [ "$state" = ok ] || not_ready "$node: cluster_state:${state:-?}"
  slots=$(field cluster_slots_ok "$answer")
  [ "$slots" = 16384 ] || not_ready "$node: cluster_slots_ok:${slots:-?}"
  verdict=$(printf '%s\n' "$answer" | awk -v total="$total" \
      -v shards="$STACKCTL_SHARDS" -v replicas="$STACKCTL_REPLICAS" '
    NF < 8 || $2 !~ /@/ { next }
    { seen++ }
    $3 ~ /fail|noaddr|handshake/ { bad = bad " " $2 "(" $3 ")" }
    $8 != "connected" { bad = bad " " $2 "(" $8 ")" }
    $3 ~ /master/ { masters++; if (NF >= 9) serving++; id[$1] = $2 }
    $3 ~ /slave/ { follows[$4]++ }
    END {
      if (bad != "") { print "links/flags:" bad; exit }
      if (seen != total) { print "knows " seen + 0 " of " total " nodes"; exit }
      if (masters != shards || serving != shards) {
        print masters + 0 " primaries (" serving + 0 " with slots), want " shards; exit
      }
      for (m in id) if (follows[m] + 0 != replicas) {
        print id[m] " has " follows[m] + 0 " replicas, want " replicas; exit
      }
      print "ok"
    }')
  [ "$verdict" = ok ] || not_ready "$node sees $verdict"
  if [ "$(field role "$answer")" = slave ]; then
    link=$(field master_link_status "$answer")
    [ "$link" = up ] || not_ready "$node: master_link_status:${link:-?}"
  fi
done
echo "ready: $STACKCTL_SHARDS primaries x $STACKCTL_REPLICAS replicas, 16384 slots, all links connected"
