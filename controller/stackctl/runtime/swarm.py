"""Docker Swarm through python-on-whales and the chosen docker CLI: the swarm and its
nodes, one stack's services, tasks, logs, secrets, configs, networks and volumes,
containers next to it, and the task containers the drill acts on. Failures become
one-line `ToolError`s."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from stackctl.errors import ConfigError, ToolError
from stackctl.names import ROLE_LABEL, network_name, swarm_service
from stackctl.runtime._client import docker_client, tool_errors
from stackctl.runtime.docker_cli import ExecResult, binds, flags, parse_env, run_bounded

STACK_LABEL = "com.docker.stack.namespace"
"""The label `docker stack deploy` puts on every object it creates."""
SERVICE_LABEL = "com.docker.swarm.service.name"


@dataclass(frozen=True)
class SwarmInfo:
    """This engine's place in a swarm."""

    state: str  # inactive | pending | active | error | locked
    manager: bool
    node_id: str = ""
    error: str = ""

    @property
    def active_manager(self) -> bool:
        """The engine can deploy stacks."""
        return self.state == "active" and self.manager


@dataclass(frozen=True)
class SwarmNode:
    """One node of the swarm."""

    id: str
    hostname: str
    role: str  # manager | worker
    state: str  # ready | down | ...
    availability: str  # active | pause | drain
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One task of a stack's service (`docker stack ps`)."""

    id: str
    service: str  # without the stack prefix, e.g. `redis-1`
    slot: str  # the replica number ("" for global services)
    node: str
    desired: str  # running | shutdown | complete | ...
    state: str  # new | pending | assigned | preparing | starting | running | complete | ...
    error: str = ""


@dataclass(frozen=True)
class ServiceInfo:
    """One service of a stack."""

    name: str  # without the stack prefix
    mode: str  # replicated | global | replicated-job | global-job
    replicas: int


def _run(args: Sequence[str], what: str, stdin: bytes | None = None) -> ExecResult:
    """One docker CLI call; the exit code comes back in the result."""
    from python_on_whales.exceptions import DockerException
    from python_on_whales.utils import run

    with tool_errors(what):
        cmd = [*docker_client().client_config.docker_cmd, *args]
        try:
            if stdin is None:
                out, err = run(cmd, return_stderr=True)
            else:
                out, err = run(cmd, return_stderr=True, input=stdin)
        except DockerException as exc:
            return ExecResult(exc.return_code, exc.stdout or "", exc.stderr or "")
    return ExecResult(0, str(out or ""), str(err or ""))


def _checked(args: Sequence[str], what: str) -> str:
    result = _run(args, what)
    if not result.ok:
        raise ToolError(f"{what}: {result.last_error(f'exit code {result.returncode}')}")
    return result.stdout


# --- the engine and its swarm ---------------------------------------------------------


def swarm_info() -> SwarmInfo:
    """Whether this engine is in a swarm and a manager of it."""
    out = _checked(["info", "--format", "{{json .Swarm}}"], "docker info")
    try:
        data = json.loads(out)
    except ValueError:
        raise ToolError(f"docker info: unreadable swarm state {out.strip()[:80]!r}") from None
    return SwarmInfo(str(data.get("LocalNodeState") or "inactive"),
                     bool(data.get("ControlAvailable")), str(data.get("NodeID") or ""),
                     str(data.get("Error") or ""))


def require_manager() -> SwarmInfo:
    """ConfigError (exit 2) unless this engine is an active swarm manager."""
    info = swarm_info()
    if info.active_manager:
        return info
    if info.state == "active":
        problem = "this Docker engine is a swarm worker, not a manager"
        fix = ("run stackctl on a manager (or `docker node promote <this node>` there), "
               "or set engine = compose")
    else:
        problem = f"this Docker engine is not a swarm manager (swarm state: {info.state})"
        fix = ("make it one with `docker swarm init --advertise-addr <this machine's "
               "address> --default-addr-pool <a free /16>`, or set engine = compose")
    raise ConfigError("engine = swarm", problem, fix)


def nodes() -> list[SwarmNode]:
    """Every node of the swarm (a manager's view)."""
    with tool_errors("docker node ls"):
        out = [SwarmNode(n.id, str(n.description.hostname or ""), str(n.spec.role or ""),
                         str(n.status.state or ""), str(n.spec.availability or ""),
                         dict(n.spec.labels or {})) for n in docker_client().node.list()]
    return sorted(out, key=lambda n: n.hostname)


def init_swarm(advertise_addr: str, address_pool: str, mask_length: int = 24) -> None:
    """`docker swarm init` with a pinned default address pool (tests, benchmarks)."""
    _checked(["swarm", "init", "--advertise-addr", advertise_addr,
              "--default-addr-pool", address_pool,
              "--default-addr-pool-mask-length", str(mask_length)], "docker swarm init")


def leave_swarm() -> None:
    """`docker swarm leave --force`, and its `docker_gwbridge` network removed (tests)."""
    with tool_errors("docker swarm leave"):
        docker_client().swarm.leave(force=True)
    _run(["network", "rm", "docker_gwbridge"], "docker network rm docker_gwbridge")


def label_node(node_id: str, labels: Mapping[str, str]) -> None:
    """Add labels to a node (`docker node update --label-add`)."""
    with tool_errors(f"docker node update {node_id}"):
        docker_client().node.update(node_id, labels_add=dict(labels))


# --- one stack ------------------------------------------------------------------------


class Stack:
    """One stack: `docker stack deploy` of a rendered file and everything it made."""

    def __init__(self, name: str):
        self.name = name

    def full(self, service: str) -> str:
        """The swarm's name of a stack service, e.g. `stackctl_redis-1`."""
        return swarm_service(self.name, service)

    def network(self, short: str) -> str:
        """The swarm's name of a stack network."""
        return network_name(self.name, short)

    def deploy(self, stack_file: Path) -> None:
        """`docker stack deploy --resolve-image never` (nothing pulled; no `--prune`: it would
        remove `run_job`'s jobs); the CLI's lines are captured (stdout may be `--json`)."""
        _checked(["stack", "deploy", "--compose-file", str(stack_file), "--resolve-image",
                  "never", self.name], f"docker stack deploy {self.name}")

    def run_job(self, spec: Mapping[str, Any]) -> None:
        """(Re)create a `replicated-job` service in the stack's namespace from a spec and return at
        once; `env` holds nothing secret (on the command line: secrets go in as Swarm secrets)."""
        name = self.full(str(spec["name"]))
        _run(["service", "rm", name], f"docker service rm {name}")
        args = ["service", "create", "--detach", "--quiet", "--mode", "replicated-job",
                "--name", name, "--label", f"{STACK_LABEL}={self.name}",
                "--container-label", f"{STACK_LABEL}={self.name}",
                "--network", f"name={self.network(str(spec['network']))},"
                f"alias={spec['name']}",
                "--restart-condition", str(spec.get("restart", "on-failure")),
                "--restart-max-attempts", str(spec.get("max_attempts", 3)),
                "--restart-delay", "5s"]
        if spec.get("replicas"):
            args += ["--replicas", str(spec["replicas"]),
                     "--max-concurrent", str(spec["replicas"])]
        for pref in spec.get("placement_prefs", []):
            args += ["--placement-pref", str(pref)]
        if spec.get("user"):
            args += ["--user", str(spec["user"])]
        if spec.get("entrypoint"):
            args += ["--entrypoint", str(spec["entrypoint"])]
        args += [*flags("--env", spec.get("env")), *flags("--label", spec.get("labels"))]
        for kind in ("secret", "config"):
            for ref in spec.get(f"{kind}s", []):
                args += [f"--{kind}", f"source={ref['source']},target={ref['target']},"
                         f"uid={ref.get('uid', '0')},gid={ref.get('gid', '0')},"
                         f"mode={int(ref.get('mode', 0o444))}"]
        for target in spec.get("tmpfs", []):
            args += ["--mount", f"type=tmpfs,destination={target}"]
        _checked([*args, str(spec["image"]), *[str(a) for a in spec.get("args", [])]],
                 f"docker service create {name}")

    def exists(self) -> bool:
        """Any service of this stack exists."""
        return bool(self.services())

    def services(self) -> list[ServiceInfo]:
        """The stack's services, by short name."""
        ids = _checked(["service", "ls", "--quiet", "--filter", f"label={STACK_LABEL}={self.name}"],
                       f"docker service ls ({self.name})").split()
        if not ids:
            return []
        text = _checked(["service", "inspect", "--format",
                         "{{json .Spec.Name}}\t{{json .Spec.Mode}}", *ids],
                        f"docker service inspect ({self.name})")
        return sorted(parse_services(text, self.name), key=lambda s: s.name)

    def service_env(self, service: str) -> dict[str, str]:
        """The environment in a service's spec (what its tasks are given); ToolError when
        the service does not exist."""
        out = _checked(["service", "inspect", "--format",
                        "{{json .Spec.TaskTemplate.ContainerSpec.Env}}", self.full(service)],
                       f"docker service inspect {self.full(service)}")
        return parse_env(out)

    def tasks(self) -> list[Task]:
        """Every task of the stack, current and past (`docker stack ps`, one call)."""
        result = _run(["stack", "ps", self.name, "--no-trunc", "--format", "{{json .}}"],
                      f"docker stack ps {self.name}")
        if not result.ok:
            if "nothing found in stack" in (result.stderr + result.stdout).lower():
                return []
            raise ToolError(f"docker stack ps {self.name}: {result.last_error()}")
        return parse_tasks(result.stdout, self.name)

    def logs(self, service: str, tail: int | None = None) -> str:
        """One service's logs, every task's, with the task names as prefixes."""
        with tool_errors(f"docker service logs {self.full(service)}"):
            return str(docker_client().service.logs(self.full(service), tail=tail,
                                                    timestamps=False))

    def local_containers(self, service: str) -> list[str]:
        """Every running container of the service on this node."""
        out = _checked(["ps", "--filter", f"label={SERVICE_LABEL}={self.full(service)}",
                        "--filter", "status=running", "--format", "{{.Names}}"],
                       f"docker ps ({self.full(service)})")
        return sorted(out.split())

    def container_env(self, container: str) -> dict[str, str]:
        """A container's environment as created (Config.Env: a shell-less image answers too)."""
        return parse_env(_checked(["inspect", "--type", "container", "--format",
                                   "{{json .Config.Env}}", container],
                                  f"docker inspect {container}"))

    def container_log(self, container: str, since: float | None = None) -> str:
        """One local container's log (both streams) from `since` (unix time), by `docker logs`
        (`docker service logs` goes through the managers and can stall on a large log)."""
        args = ["logs"] + (["--since", f"{since:.3f}"] if since is not None else [])
        result = _run([*args, container], f"docker logs {container}")
        if not result.ok:
            raise ToolError(f"docker logs {container}: {result.last_error()}")
        return result.stdout + result.stderr

    def local_tasks(self) -> dict[str, list[str]]:
        """The stack's running containers here, by short service name (one `docker ps`)."""
        out = _checked(["ps", "--filter", f"label={STACK_LABEL}={self.name}",
                        "--filter", "status=running", "--format",
                        f'{{{{.Names}}}}\t{{{{.Label "{SERVICE_LABEL}"}}}}'],
                       f"docker ps ({self.name})")
        return parse_local_tasks(out, self.name)

    def remove_service(self, service: str) -> None:
        """Remove one service of the stack (e.g. a finished job); quiet when absent."""
        _run(["service", "rm", self.full(service)], f"docker service rm {service}")

    def create_object(self, kind: str, name: str, path: Path) -> None:
        """A Swarm `secret` or `config` from a file, in the stack's namespace; kept if it exists."""
        assert kind in ("secret", "config")
        result = _run([kind, "create", "--label", f"{STACK_LABEL}={self.name}", name,
                       str(path)], f"docker {kind} create {name}")
        if not result.ok and "already exists" not in result.stderr:
            raise ToolError(f"docker {kind} create {name}: {result.last_error()}")

    def remove_object(self, kind: str, name: str) -> None:
        """Remove a secret or config (quiet when absent or still in use)."""
        _run([kind, "rm", name], f"docker {kind} rm {name}")

    def raw_logs(self, service: str) -> str:
        """Every task's output of a service, without prefixes (`--raw`)."""
        result = _run(["service", "logs", "--raw", "--no-trunc", self.full(service)],
                      f"docker service logs {self.full(service)}")
        return result.stdout + result.stderr

    def missing_images(self, refs: Sequence[str], timeout: float = 90.0
                       ) -> dict[str, list[str]]:
        """Which active nodes lack which of `refs`: a `global-job` per image runs `true` everywhere
        unpulled ("No such image" rejects it), removed again; hostname -> missing refs."""
        names = [self.full(f"image-check-{i}") for i in range(len(refs))]
        try:
            for name, ref in zip(names, refs, strict=True):
                _run(["service", "rm", name], f"docker service rm {name}")
                _checked(["service", "create", "--detach", "--quiet", "--mode", "global-job",
                          "--name", name, "--label", f"{ROLE_LABEL}=image-check",
                          "--label", f"{STACK_LABEL}={self.name}",
                          "--restart-condition", "none", "--no-resolve-image",
                          "--entrypoint", "true", ref], f"docker service create {name}")
            deadline = time.monotonic() + timeout
            while True:
                text = _checked(["service", "ps", "--no-trunc", "--format", "{{json .}}",
                                 *names], "docker service ps (image check)")
                rows = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
                states = [(str(r.get("Name", "")), str(r.get("Node", "")),
                           str(r.get("CurrentState", "")).split(" ", 1)[0].lower(),
                           str(r.get("Error", ""))) for r in rows]
                done = states and all(st in ("complete", "rejected", "failed")
                                      for _n, _node, st, _e in states)
                if done or time.monotonic() >= deadline:
                    break
                time.sleep(1.0)
            missing: dict[str, list[str]] = {}
            for name, node, state, error in states:
                service = name.split(".", 1)[0]
                if service in names and state != "complete":
                    missing.setdefault(node or "?", []).append(
                        refs[names.index(service)] + ("" if "no such image" in error.lower()
                                       else f" ({state}: {error or 'no answer'})"))
            return missing
        finally:
            for name in names:
                _run(["service", "rm", name], f"docker service rm {name}")

    def remove(self) -> None:
        """`docker stack rm`; Swarm stops tasks asynchronously, so what is still in use is left for
        `wait_removed`."""
        result = _run(["stack", "rm", self.name], f"docker stack rm {self.name}")
        if not result.ok and "in use" not in result.stderr + result.stdout:
            raise ToolError(f"docker stack rm {self.name}: {result.last_error()}")

    def leftovers(self) -> dict[str, list[str]]:
        """What of the stack still exists on this node, by kind (empty lists: gone)."""
        label = f"label={STACK_LABEL}={self.name}"
        kinds = {"services": ["service", "ls"], "secrets": ["secret", "ls"],
                 "configs": ["config", "ls"], "networks": ["network", "ls"],
                 "volumes": ["volume", "ls"]}
        out = {kind: sorted(_checked([*args, "--filter", label, "--format", "{{.Name}}"],
                                     f"docker {args[0]} ls ({self.name})").split())
               for kind, args in kinds.items()}
        out["containers"] = sorted(_checked(
            ["ps", "--all", "--filter", label, "--format", "{{.Names}}"],
            f"docker ps ({self.name})").split())
        return out

    def wait_removed(self, timeout: float = 60.0, volumes: bool = False) -> dict[str, list[str]]:
        """After `remove`: wait until the stack's containers and networks are gone, then remove its
        volumes on this node when asked; what is left (nothing, normally)."""
        deadline = time.monotonic() + timeout
        left = self.leftovers()
        while time.monotonic() < deadline and any(
                left[k] for k in ("containers", "networks", "services", "secrets", "configs")):
            for name in left["services"]:
                _run(["service", "rm", name], f"docker service rm {name}")
            if not left["services"]:
                # A completed job's container outlives its removed service here: with no
                # service of the stack left, what still carries its label is stale.
                for name in left["containers"]:
                    _run(["rm", "--force", "--volumes", name], f"docker rm {name}")
                left["containers"] = []
            if not left["containers"]:
                for kind in ("network", "secret", "config"):
                    for name in left[f"{kind}s"]:
                        _run([kind, "rm", name], f"docker {kind} rm {name}")
            time.sleep(1.0)
            left = self.leftovers()
        if volumes and left["volumes"]:
            with tool_errors(f"docker volume rm ({self.name})"):
                docker_client().volume.remove(list[Any](left["volumes"]))
            left = self.leftovers()
        if not volumes:
            left["volumes"] = []
        return left


# --- containers stackctl runs next to a stack ---------------------------------------


def run_detached(name: str, image: str, network: str, ports: Sequence[str] = (),
                 mounts: Sequence[tuple[str, str]] = (), labels: Mapping[str, str] | None = None,
                 command: Sequence[str] = (), env: Mapping[str, str] | None = None,
                 options: Sequence[str] = ()) -> None:
    """Start a standalone container on an attachable overlay network (the access proxy, the
    gate's probe), replacing one of the same name; read-only `mounts`, nothing secret in `env`."""
    remove_container(name)
    _checked(["run", "--detach", "--name", name, "--network", network, "--restart", "no",
              *options, *[p for port in ports for p in ("--publish", port)], *binds(mounts),
              *flags("--env", env), *flags("--label", labels), image, *command],
             f"docker run {name}")


def remove_container(name: str) -> bool:
    """Remove a container stackctl started (force, with its anonymous volumes: the Redis
    image's /data); False when there was none."""
    return _run(["rm", "--force", "--volumes", name], f"docker rm {name}").ok


def container_running(name: str) -> bool:
    """Whether the named container runs."""
    result = _run(["inspect", "--type", "container", "--format", "{{.State.Running}}", name],
                  f"docker inspect {name}")
    return result.ok and result.stdout.strip() == "true"


# --- parsing (pure) -----------------------------------------------------------------


def parse_tasks(text: str, stack: str) -> list[Task]:
    """`docker stack ps --format '{{json .}}'` lines -> tasks (`<stack>_<service>.<slot>`)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        name = str(row.get("Name", "")).lstrip("\\_ ").strip().removeprefix(f"{stack}_")
        service, _, slot = name.partition(".")
        current = str(row.get("CurrentState", "")).split(" ", 1)[0].lower()
        out.append(Task(str(row.get("ID", "")), service, slot, str(row.get("Node", "")),
                        str(row.get("DesiredState", "")).lower(), current,
                        str(row.get("Error", "")).strip()))
    return out


def parse_local_tasks(text: str, stack: str) -> dict[str, list[str]]:
    """`docker ps` name and service-label lines -> container names by short service name."""
    out: dict[str, list[str]] = {}
    prefix = f"{stack}_"
    for line in text.splitlines():
        name, _, service = line.strip().partition("\t")
        if not name or not service.startswith(prefix):
            continue
        out.setdefault(service[len(prefix):], []).append(name)
    return {k: sorted(v) for k, v in sorted(out.items())}


def parse_services(text: str, stack: str) -> list[ServiceInfo]:
    """The `service inspect --format` lines `Stack.services` asks for."""
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        name = str(json.loads(parts[0]))
        mode_data = json.loads(parts[1]) or {}
        mode = next((_MODE_NAMES[k] for k in mode_data if k in _MODE_NAMES), "replicated")
        replicas = 0
        if mode == "replicated":
            replicas = int((mode_data.get("Replicated") or {}).get("Replicas") or 0)
        elif mode == "replicated-job":
            replicas = int((mode_data.get("ReplicatedJob") or {}).get("TotalCompletions") or 1)
        out.append(ServiceInfo(name.removeprefix(f"{stack}_"), mode, replicas))
    return out


_MODE_NAMES = {"Replicated": "replicated", "Global": "global",
               "ReplicatedJob": "replicated-job", "GlobalJob": "global-job"}


def follow_logs(service: str, tail: int | None, out: IO[str]) -> None:
    """Stream a service's logs (every task's) to `out` until interrupted."""
    with tool_errors(f"docker service logs -f {service}"):
        for _source, line in docker_client().service.logs(service, tail=tail, follow=True,
                                                          stream=True):
            out.write(line.decode(errors="replace"))
            out.flush()


# --- the drill: faults on a task's container, on this node (issue 17, swdrill) -------

TASK_LABEL = "com.docker.swarm.task.id"
CONTAINER_ACTIONS = ("kill", "stop", "pause", "unpause")


@dataclass(frozen=True)
class LocalTask:
    """A service's running task container on this node: name, task id, address per network."""

    container: str
    task_id: str
    addresses: Mapping[str, str] = field(default_factory=dict)
    started_at: float = 0.0  # epoch seconds of the container's start; 0 when not known


def local_task(full_service: str) -> LocalTask | None:
    """The service's running task container on this node (first by name); None when none is here."""
    out = _checked(["ps", "--filter", f"label={SERVICE_LABEL}={full_service}",
                    "--filter", "status=running", "--format",
                    f'{{{{.Names}}}}\t{{{{.Label "{TASK_LABEL}"}}}}'],
                   f"docker ps ({full_service})")
    rows = sorted(line.split("\t", 1) for line in out.splitlines() if "\t" in line)
    if not rows:
        return None
    name, task_id = rows[0]
    found = _run(["inspect", "--type", "container", "--format",
                  "{{.State.StartedAt}}\t{{json .NetworkSettings.Networks}}", name],
                 f"docker inspect {name}")
    started, _, nets = found.stdout.strip().partition("\t") if found.ok else ("", "", "")
    return LocalTask(name, task_id.strip(), parse_addresses(nets), parse_started(started))


def parse_started(text: str) -> float:
    """Docker's `2026-12-01T17:05:03.123456789Z` as epoch seconds (0.0 when unreadable)."""
    head, _, frac = text.strip().rstrip("Z").partition(".")
    try:
        when = datetime.fromisoformat(head + "+00:00")
    except ValueError:
        return 0.0
    digits = "".join(c for c in frac if c.isdigit())
    return when.timestamp() + (int(digits) / 10 ** len(digits) if digits else 0.0)


def parse_addresses(text: str) -> dict[str, str]:
    """`{{json .NetworkSettings.Networks}}` -> network name -> IPv4 address."""
    try:
        data = json.loads(text or "{}") or {}
    except ValueError:
        return {}
    return {str(k): str((v or {}).get("IPAddress") or "") for k, v in sorted(data.items())}


def container_action(container: str, action: str, signal: str = "SIGKILL",
                     timeout: int | None = None) -> None:
    """`docker kill --signal`, `stop --time`, `pause` or `unpause` of one (task) container."""
    assert action in CONTAINER_ACTIONS
    args = [action]
    if action == "kill":
        args += ["--signal", signal]
    if action == "stop" and timeout is not None:
        args += ["--time", str(timeout)]
    _checked([*args, container], f"docker {action} {container}")


def exec_bounded(container: str, command: Sequence[str], env: Mapping[str, str] | None = None,
                 timeout: float | None = None) -> ExecResult:
    """`docker exec` here, at most `timeout` seconds (exit 124); nothing secret in `env`."""
    args = ["exec", *flags("--env", env), container, *command]
    if timeout is None:
        return _run(args, f"docker exec {container}")
    return run_bounded([*docker_client().client_config.docker_cmd, *args],
                        f"docker exec {container}", timeout)


def force_update(full_service: str) -> None:
    """`docker service update --force --detach`: Swarm replaces every task (a restart)."""
    _checked(["service", "update", "--force", "--detach", "--quiet", full_service],
             f"docker service update --force {full_service}")


SERVICE_LOGS_TIMEOUT_S = 20.0
"""`docker service logs` can stall with its stream open and never end (moby/moby#38640:
seen here with two gateway tasks, a drill waiting forever): read at most this long."""


def service_logs_since(full_service: str, since: float,
                       timeout: float = SERVICE_LOGS_TIMEOUT_S) -> str:
    """Every task's log lines since `since` (epoch s), unprefixed; what came in `timeout`."""
    cmd = [*docker_client().client_config.docker_cmd, "service", "logs", "--raw",
           "--no-trunc", "--since", f"{since:.3f}", full_service]
    with tool_errors(f"docker service logs {full_service}"):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as stalled:
            return b"".join(part or b"" for part in (stalled.stdout, stalled.stderr)
                            if isinstance(part, bytes)).decode(errors="replace")
    return done.stdout + done.stderr


def container_paused(name: str) -> bool:
    """Whether the named container exists and is paused."""
    result = _run(["inspect", "--type", "container", "--format", "{{.State.Paused}}", name],
                  f"docker inspect {name}")
    return result.ok and result.stdout.strip() == "true"


def task_addresses(task_id: str) -> dict[str, str]:
    """A task's address per network, from the manager's record (any node); {} until known."""
    result = _run(["inspect", "--type", "task", "--format", "{{json .NetworksAttachments}}",
                   task_id], f"docker inspect {task_id}")
    return parse_attachments(result.stdout) if result.ok else {}


def parse_attachments(text: str) -> dict[str, str]:
    """`{{json .NetworksAttachments}}` of a task -> network name -> IPv4 address."""
    try:
        data = json.loads(text or "[]") or []
    except ValueError:
        return {}
    out = {}
    for item in data:
        name = str(((item.get("Network") or {}).get("Spec") or {}).get("Name") or "")
        addresses = item.get("Addresses") or []
        if name and addresses:
            out[name] = str(addresses[0]).partition("/")[0]
    return out
