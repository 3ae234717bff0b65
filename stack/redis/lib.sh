# Shared by node-health.sh, cluster-init.sh and cluster-ready.sh (POSIX sh, sourced).
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
