"""The probe script run in a one-shot Redis-image container on the stack's Redis network.
Inputs (environment, nothing secret): PROBE_ADDRS "host:port ...", PROBE_USER, PROBE_TLS
(1: the component uses TLS), PROBE_SKIP_VERIFY, PROBE_CA, PROBE_CERT, PROBE_KEY (as the
component sees them: the probe gets its mounts), PROBE_ID_CERT, PROBE_ID_KEY (stackctl's
client identity: does Redis want client certificates?). The password comes on stdin's
first line and reaches redis-cli only through REDISCLI_AUTH.

Output: one line per check, `<check>\\t<addr>\\t<result>`:
  resolve  ok <ip> | fail
  tcp      ok | fail
  plain    reply to an unauthenticated plain-text PING
  tls      reply to an unauthenticated PING over TLS, no client certificate
  mtls     the same with stackctl's client certificate
  client   reply to PING with the component's own TLS settings, user and password
A reply is redis-cli's output on one line, or `timeout`."""

PROBE_SCRIPT = r"""
set -u
IFS= read -r secret || secret=""
t=${PROBE_TIMEOUT:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

say() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }

ask() {  # ask ADDR ARGS...: one redis-cli PING, its output on one line
  a=$1; shift
  r=$(timeout "$t" redis-cli -h "${a%:*}" -p "${a##*:}" "$@" ping 2>&1 </dev/null)
  rc=$?
  [ "$rc" = 124 ] && r="timeout"
  printf '%s' "$r" | tr '\r\n' '  ' | sed 's/  */ /g; s/^ //; s/ $//'
}

component_tls() {
  [ "${PROBE_TLS:-0}" = 1 ] || return 0
  printf -- '--tls'
  if [ "${PROBE_SKIP_VERIFY:-0}" = 1 ]; then printf ' --insecure'
  elif [ -n "${PROBE_CA:-}" ]; then printf ' --cacert %s' "$PROBE_CA"; fi
  if [ -n "${PROBE_CERT:-}" ]; then printf ' --cert %s --key %s' "$PROBE_CERT" "$PROBE_KEY"; fi
}

one() {
  a=$1; h=${a%:*}; p=${a##*:}
  ip=$(getent hosts "$h" | awk '{print $1; exit}')
  if [ -z "$ip" ]; then say resolve "$a" fail; return; fi
  say resolve "$a" "ok $ip"
  if timeout "$t" bash -c "exec 3<>/dev/tcp/$h/$p" 2>/dev/null; then say tcp "$a" ok
  else say tcp "$a" fail; return; fi
  say plain "$a" "$(ask "$a")"
  say tls "$a" "$(ask "$a" --tls --insecure)"
  if [ -f "${PROBE_ID_CERT:-/nonexistent}" ]; then
    say mtls "$a" "$(ask "$a" --tls --insecure --cert "$PROBE_ID_CERT" --key "$PROBE_ID_KEY")"
  fi
  # shellcheck disable=SC2046  # the TLS flags split into arguments
  say client "$a" "$(export REDISCLI_AUTH="$secret"
    ask "$a" --user "$PROBE_USER" --no-auth-warning $(component_tls))"
}

i=0
for a in $PROBE_ADDRS; do
  i=$((i + 1))
  one "$a" >"$out/$i" 2>/dev/null &
done
wait
for f in $(ls "$out" | sort -n); do cat "$out/$f"; done
"""
"""Run with `bash -c`; see the module docstring for inputs and output."""
