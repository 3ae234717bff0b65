# Shared by the node, cluster-init (compose, swarm) and cluster-ready scripts (POSIX sh).
#
# Reads its settings from the environment the Compose service sets:
#   STACKCTL_TLS            off | tls | insecure | mtls
#   STACKCTL_REDIS_USER     the ACL user
#   STACKCTL_PASSWORD_FILE  a 0600 file holding the password (never on a command line:
#                           it reaches redis-cli through REDISCLI_AUTH)
#   STACKCTL_CA, STACKCTL_CERT, STACKCTL_KEY   TLS files (mtls uses the cert and key)
#   STACKCTL_NODES          "ip:port ip:port ..." of every node
#   STACKCTL_SHARDS, STACKCTL_REPLICAS         the cluster's shape
#   STACKCTL_CLI_TIMEOUT    seconds one redis-cli call may take (default 3)

tls_args() {
  case "${STACKCTL_TLS:-off}" in
    off) ;;
    tls) echo "--tls --cacert $STACKCTL_CA" ;;
    insecure) echo "--tls --insecure" ;;
    mtls) echo "--tls --cacert $STACKCTL_CA --cert $STACKCTL_CERT --key $STACKCTL_KEY" ;;
    *) echo "unknown STACKCTL_TLS=$STACKCTL_TLS" >&2; return 1 ;;
  esac
}

# cli ARGS...: redis-cli as the stack's user, password from the file.
cli() {
  _tls=$(tls_args) || return 1
  # shellcheck disable=SC2086  # word splitting of the TLS flags is intended
  REDISCLI_AUTH="$(cat "$STACKCTL_PASSWORD_FILE")" \
    timeout "${STACKCTL_CLI_TIMEOUT:-3}" redis-cli --user "$STACKCTL_REDIS_USER" $_tls "$@"
}

# rcli HOST:PORT ARGS...: one command against one node; CRs stripped.
rcli() {
  _addr=$1
  shift
  cli -h "${_addr%:*}" -p "${_addr##*:}" "$@" | tr -d '\r'
}

# field NAME TEXT: the value of NAME:value in INFO-style TEXT.
field() {
  printf '%s\n' "$2" | sed -n "s/^$1://p"
}

# wait_pong SLEEP: wait (up to STACKCTL_INIT_WAIT seconds, default 60) until every node of
# STACKCTL_NODES answers PONG, polling every SLEEP seconds; 1 (and a line) when one does not.
wait_pong() {
  _deadline=$(($(date +%s) + ${STACKCTL_INIT_WAIT:-60}))
  for _node in $STACKCTL_NODES; do
    until [ "$(rcli "$_node" ping 2>&1)" = PONG ]; do
      if [ "$(date +%s)" -ge "$_deadline" ]; then
        echo "cluster-init: $_node does not answer PONG: $(rcli "$_node" ping 2>&1 | head -n 1)" >&2
        return 1
      fi
      sleep "$1"
    done
  done
}

# census: count STACKCTL_NODES into total, fresh (knows only itself, no slots) and joined
# (belongs to a cluster); 1 (and a line) when a node does not answer CLUSTER INFO.
census() {
  total=0; fresh=0; joined=0
  for _node in $STACKCTL_NODES; do
    total=$((total + 1))
    _info=$(rcli "$_node" cluster info 2>&1)
    _known=$(field cluster_known_nodes "$_info")
    _assigned=$(field cluster_slots_assigned "$_info")
    if [ -z "$_known" ]; then
      echo "cluster-init: $_node does not answer CLUSTER INFO: $_info" >&2
      return 1
    elif [ "$_known" = 1 ] && [ "$_assigned" = 0 ]; then
      fresh=$((fresh + 1))
    else
      joined=$((joined + 1))
    fi
  done
}
