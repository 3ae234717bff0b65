#!/bin/sh
# Node healthcheck: this node answers PONG. `redis-cli ping` exits 0 on a NOAUTH reply,
# so the reply itself is checked.
. "$(dirname "$0")/lib.sh"
[ "$(rcli "127.0.0.1:${STACKCTL_PORT:-6379}" ping 2>/dev/null)" = PONG ]
