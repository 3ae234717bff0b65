#!/bin/sh
# Node entrypoint. The host mounts the node's private files (ACL file, auth.conf, TLS
# key) owned by the host user with mode 0600; this runs as root only long enough to
# copy them, redis-owned and still 0600, into /run/stackctl, then drops to the redis
# user and execs redis-server (PID 1, so SIGTERM reaches it).
# Usage: node-start.sh PRIVATE_FILE...
set -eu
run=/run/stackctl
install -d -o redis -g redis -m 0700 "$run"
for file in "$@"; do
  install -o redis -g redis -m 0600 "$file" "$run/$(basename "$file")"
done
chown redis:redis /data
exec setpriv --reuid=redis --regid=redis --init-groups \
  redis-server /opt/stackctl/redis/redis.conf
