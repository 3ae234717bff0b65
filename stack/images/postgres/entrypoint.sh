#!/bin/sh
# First start: initdb with the password from POSTGRES_PASSWORD_FILE (never argv or env),
# scram-sha-256 for every network client, the database POSTGRES_DB; then postgres as PID 1.
set -eu
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  src=${POSTGRES_PASSWORD_FILE:?set POSTGRES_PASSWORD_FILE to the password file}
  pw=$(mktemp)
  cp "$src" "$pw"
  chown postgres "$pw"
  chmod 600 "$pw"
  as_pg initdb -D "$PGDATA" -U "$user" --pwfile="$pw" -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pw"
  printf "listen_addresses = '*'\npassword_encryption = scram-sha-256\n" >> "$PGDATA/postgresql.conf"
  printf "host all all all scram-sha-256\n" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$db" "$user" \
      | as_pg postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "stackctl-postgres: initialised $PGDATA (database $db, user $user)"
fi
if [ "${1:-}" = postgres ]; then
  shift
  exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" "$@"
fi
exec "$@"
