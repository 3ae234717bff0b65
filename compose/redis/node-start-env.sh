#!/bin/sh
# Reference stack only (compose/): build the node's ACL and auth files from the Compose
# secret /run/secrets/redis_password (sourced from REDIS_PASSWORD in compose/.env), then
# hand over to stack/redis/node-start.sh. The password is never on a command line; the
# ACL file holds its SHA-256, as stackctl's own renderer writes it.
set -eu
umask 077
gen=$(mktemp -d)
pw=$(cat /run/secrets/redis_password)
case "$pw" in
  "" | *[!A-Za-z0-9_.~-]*) echo "REDIS_PASSWORD must be non-empty [A-Za-z0-9_.~-]" >&2; exit 1 ;;
esac
hash=$(printf '%s' "$pw" | sha256sum | cut -d' ' -f1)
printf 'user default off resetpass resetkeys resetchannels -@all\nuser %s on #%s ~* &* +@all\n' \
  "$STACKCTL_REDIS_USER" "$hash" > "$gen/users.acl"
printf 'masteruser %s\nmasterauth "%s"\n' "$STACKCTL_REDIS_USER" "$pw" > "$gen/auth.conf"
exec sh /opt/stackctl/bin/node-start.sh "$gen/users.acl" "$gen/auth.conf"
