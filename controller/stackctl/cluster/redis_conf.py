"""Per-node Redis configuration, the ACL file and the password files, written atomically
into `<state_dir>/redis/`. The password is never on a command line: the ACL file holds
its SHA-256, `auth.conf` (0600, included by every redis.conf) `masteruser`/`masterauth`,
and `password` (0600) is what stack/redis's scripts read into `REDISCLI_AUTH`. Users live
in the ACL file only (an aclfile cannot be mixed with `user` lines)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from stackctl import assets
from stackctl.cluster.pki import STACKCTL_CLIENT
from stackctl.errors import ConfigError
from stackctl.model import RedisNode, StackModel, tls_paths
from stackctl.secrets import SECRET_MODE, Secrets
from stackctl.state import atomic_write

REDIS_DIR = "redis"
"""Sub-directory of the state dir holding the rendered Redis files."""
CONF_MOUNT = "/opt/stackctl/redis"
"""Where the rendered files are mounted (read-only) in Redis-side containers."""
SCRIPTS_MOUNT = "/opt/stackctl/bin"
"""Where the copies of stack/redis/*.sh (`<state_dir>/redis/bin`) are mounted (read-only)."""
DATA_DIR = "/data"
"""The node's volume: nodes.conf and the append-only file."""
PASSWORD_FILE = f"{CONF_MOUNT}/password"
ACL_FILE = f"{CONF_MOUNT}/users.acl"
AUTH_CONF = f"{CONF_MOUNT}/auth.conf"
NODE_CONF = f"{CONF_MOUNT}/redis.conf"
RUN_DIR = "/run/stackctl"
"""Where stack/redis/node-start.sh puts redis-owned copies of the node's private files
(the host's 0600 files belong to the host user, not to the container's redis user)."""
TLS_PROTOCOLS = "TLSv1.2 TLSv1.3"
SCRIPTS = ("lib.sh", "node-start.sh", "node-health.sh", "node-report.sh", "cluster-init.sh",
           "cluster-ready.sh", "gate-health.sh", "swarm-cluster-init.sh")


@dataclass(frozen=True)
class RedisFiles:
    """Host paths of everything `render_redis` wrote."""

    root: Path
    node_confs: dict[str, Path]
    acl: Path
    auth: Path
    password: Path
    scripts: Path


def _quote(value: str) -> str:
    """A redis.conf double-quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_password(password: str) -> None:
    if not password or any(c.isspace() or not c.isprintable() for c in password):
        raise ConfigError("secrets.json: redis_password",
                          "must be non-empty printable text without spaces",
                          "remove it to have a new one generated")


def node_conf(model: StackModel, node: RedisNode) -> str:
    """The redis.conf of one node."""
    redis = model.settings.redis
    lines = [
        f"# {node.name}: rendered by stackctl, re-rendered on every `up`; do not edit.",
        "bind 0.0.0.0",
        "protected-mode no",
    ]
    if redis.tls == "off":
        lines.append(f"port {node.port}")
    else:
        paths = tls_paths(node.name)
        lines += [
            "port 0",
            f"tls-port {node.port}",
            f"tls-cert-file {paths.cert}",
            f"tls-key-file {RUN_DIR}/{Path(paths.key).name}",
            f"tls-ca-cert-file {paths.ca}",
            f"tls-auth-clients {'yes' if redis.tls == 'mtls' else 'no'}",
            "tls-replication yes",
            "tls-cluster yes",
            f"tls-protocols {_quote(TLS_PROTOCOLS)}",
        ]
    if model.hostname_endpoints:
        # CLUSTER SLOTS / SHARDS and MOVED / ASK name the node, not its IP: clients dial
        # names, which the DNS-only certificates match (the bus still gossips IPs).
        lines += [f"cluster-announce-hostname {node.name}",
                  "cluster-preferred-endpoint-type hostname"]
    lines += [
        "cluster-enabled yes",
        "cluster-config-file nodes.conf",
        f"cluster-node-timeout {redis.node_timeout_ms}",
        f"dir {DATA_DIR}",
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 0",
        "appendonly yes",
        'save ""',
        f"maxclients {redis.maxclients}",
        f"aclfile {RUN_DIR}/{Path(ACL_FILE).name}",
        f"include {RUN_DIR}/{Path(AUTH_CONF).name}",
    ]
    return "\n".join(lines) + "\n"


def acl_file(model: StackModel, password: str) -> str:
    """The ACL file: the default user off, the stack's user with a hashed password."""
    _check_password(password)
    digest = hashlib.sha256(password.encode()).hexdigest()
    user = model.settings.redis.user
    return (
        "user default off resetpass resetkeys resetchannels -@all\n"
        f"user {user} on #{digest} ~* &* +@all\n"
    )


def auth_conf(model: StackModel, password: str) -> str:
    """The credentials a replica uses towards its primary (included by redis.conf)."""
    _check_password(password)
    return f"masteruser {model.settings.redis.user}\nmasterauth {_quote(password)}\n"


def client_env(model: StackModel, identity: str = STACKCTL_CLIENT) -> dict[str, str]:
    """Environment the stack/redis scripts read: TLS mode, user, files, cluster shape."""
    redis = model.settings.redis
    paths = tls_paths(identity)
    return {
        "STACKCTL_TLS": redis.tls,
        "STACKCTL_REDIS_USER": redis.user,
        "STACKCTL_PASSWORD_FILE": PASSWORD_FILE,
        "STACKCTL_CA": paths.ca,
        "STACKCTL_CERT": paths.cert,
        "STACKCTL_KEY": paths.key,
        "STACKCTL_NODES": " ".join(f"{n.ip}:{n.port}" for n in model.nodes),
        "STACKCTL_SHARDS": str(redis.shards),
        "STACKCTL_REPLICAS": str(redis.replicas),
    }


def redis_dir(model: StackModel) -> Path:
    """`<state_dir>/redis`."""
    return model.settings.state_dir / REDIS_DIR


def render_redis(model: StackModel, secrets: Secrets) -> RedisFiles:
    """Write every redis.conf, the ACL, auth.conf, password and scripts (atomic; secrets 0600)."""
    root = redis_dir(model)
    password = secrets.redis_password.get_secret_value()
    confs: dict[str, Path] = {}
    for node in model.nodes:
        confs[node.name] = root / f"{node.name}.conf"
        atomic_write(confs[node.name], node_conf(model, node))
    files = RedisFiles(root, confs, root / "users.acl", root / "auth.conf",
                       root / "password", root / "bin")
    atomic_write(files.acl, acl_file(model, password), SECRET_MODE)
    atomic_write(files.auth, auth_conf(model, password), SECRET_MODE)
    atomic_write(files.password, password, SECRET_MODE)
    for name in SCRIPTS:
        atomic_write(files.scripts / name, assets.read_bytes(*assets.REDIS_SCRIPTS, name), 0o755)
    for stale in root.glob("redis-*.conf"):
        if stale not in confs.values():
            stale.unlink()
    return files

