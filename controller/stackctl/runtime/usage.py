"""Raw readings of containers and of the host, from the host's /proc and /sys: a
container's main PID leads to its cgroup (CPU ns, memory bytes; v1 or v2) and its network
namespace (TCP opens, TIME_WAIT sockets). Every reading is its value or an `Unavailable`
with the reason, never an exception; `parse_*` are pure, `read_*` do the I/O."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stackctl.runtime._client import docker_client, tool_errors

PROC = Path("/proc")
TIME_WAIT = "06"
"""`st` of a TIME_WAIT socket in /proc/net/tcp{,6} (TCP_TIME_WAIT = 6, tcp_states.h)."""
IDLE_FIELDS = (3, 4)
"""Indexes of idle and iowait in /proc/stat's `cpu` line; every other field is busy."""
STAT_FIELDS = 8
"""user nice system idle iowait irq softirq steal: guest time is already in user."""
INSPECT_FORMAT = "{{.Name}}\t{{.Id}}\t{{.State.Pid}}\t{{.State.Status}}"


@dataclass(frozen=True)
class Unavailable:
    """A reading that could not be taken, and why (one line)."""

    reason: str


@dataclass(frozen=True)
class ContainerRef:
    """A running container: its name, full id and main PID on the host."""

    name: str
    id: str
    pid: int


@dataclass(frozen=True)
class CgroupUsage:
    """A container's cgroup counters: CPU used since start (ns) and memory in use (bytes)."""

    cpu_ns: int
    memory_bytes: int
    version: int  # 1 | 2


@dataclass(frozen=True)
class TcpCounters:
    """A network namespace's TCP counters, IPv4 and IPv6: connections opened since it was made
    (ActiveOpens out, PassiveOpens in) and TIME_WAIT sockets now, in total and per port."""

    active_opens: int
    passive_opens: int
    time_wait: int
    time_wait_by_port: Mapping[int, int] = field(default_factory=dict)

    def time_wait_to(self, port: int) -> int:
        """TIME_WAIT sockets whose remote port is `port`."""
        return self.time_wait_by_port.get(port, 0)


@dataclass(frozen=True)
class HostCpu:
    """The host's CPU time since boot from /proc/stat (clock ticks) and its core count."""

    busy_ticks: int
    total_ticks: int
    ticks_per_s: int
    cores: int


@dataclass(frozen=True)
class ContainerUsage:
    """One container's readings; `tcp` is None when it was not asked for."""

    name: str
    id: str
    cgroup: CgroupUsage | Unavailable
    tcp: TcpCounters | Unavailable | None = None


@dataclass(frozen=True)
class CgroupMount:
    """One cgroup hierarchy mounted on the host (from mountinfo)."""

    point: Path
    root: str
    version: int
    controllers: frozenset[str]


@dataclass(frozen=True)
class CgroupFiles:
    """Where a cgroup's CPU and memory counters are."""

    version: int
    cpu: Path
    memory: Path


# --- parsers (pure) ---------------------------------------------------------------------

def parse_inspect(text: str, names: Sequence[str]) -> dict[str, ContainerRef | Unavailable]:
    """`docker inspect --format INSPECT_FORMAT` output -> each name's ref, or why not."""
    found: dict[str, ContainerRef | Unavailable] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        name, cid, pid, status = parts
        name = name.lstrip("/")
        if status != "running" or not pid.isdigit() or int(pid) == 0:
            found[name] = Unavailable(f"container {name} is {status or 'not running'}")
        else:
            found[name] = ContainerRef(name, cid, int(pid))
    return {n: found.get(n, Unavailable(f"no container {n}")) for n in names}


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """/proc/<pid>/cgroup -> {controller: path}; the v2 (unified) line is under ""."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for controller in controllers.split(",") if controllers else [""]:
            out[controller] = path
    return out


def parse_mountinfo(text: str) -> list[CgroupMount]:
    """The cgroup and cgroup2 mounts in /proc/<pid>/mountinfo (fields after ` - `, proc(5))."""
    out = []
    for line in text.splitlines():
        head, sep, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if not sep or len(fields) < 5 or len(rest) < 3 or rest[0] not in ("cgroup", "cgroup2"):
            continue
        options = frozenset(rest[2].split(","))
        version = 2 if rest[0] == "cgroup2" else 1
        out.append(CgroupMount(Path(fields[4]), fields[3], version,
                               options if version == 1 else frozenset()))
    return out


def cgroup_files(proc_cgroup: Mapping[str, str], mounts: Sequence[CgroupMount]
                 ) -> CgroupFiles | Unavailable:
    """The counter files of a process's cgroup: v1 when `cpuacct` and `memory` are both mounted
    (a hybrid host keeps memory out of v2), else the unified v2 hierarchy."""

    def under(mount: CgroupMount, path: str) -> Path:
        root = mount.root.rstrip("/")
        if root and path.startswith(root):
            path = path[len(root):]
        return mount.point / path.lstrip("/")

    v1 = {c: m for m in mounts if m.version == 1 for c in m.controllers}
    if "cpuacct" in v1 and "memory" in v1 and "cpuacct" in proc_cgroup \
            and "memory" in proc_cgroup:
        return CgroupFiles(1, under(v1["cpuacct"], proc_cgroup["cpuacct"]) / "cpuacct.usage",
                           under(v1["memory"], proc_cgroup["memory"]) / "memory.usage_in_bytes")
    v2 = next((m for m in mounts if m.version == 2), None)
    if v2 is not None and "" in proc_cgroup:
        base = under(v2, proc_cgroup[""])
        return CgroupFiles(2, base / "cpu.stat", base / "memory.current")
    return Unavailable("no cgroup v1 cpuacct+memory or v2 hierarchy mounted for the process")


def parse_int(text: str) -> int:
    """A counter file holding one integer (cpuacct.usage, memory.usage_in_bytes, ...)."""
    return int(text.strip())


def parse_cpu_stat_ns(text: str) -> int:
    """cgroup v2 cpu.stat -> CPU ns (its `usage_usec` x 1000)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) * 1000
    raise ValueError("no usage_usec line")


def parse_snmp_tcp(text: str) -> dict[str, int]:
    """The `Tcp:` header and value lines of /proc/<pid>/net/snmp -> {field: value}."""
    rows = [line.split()[1:] for line in text.splitlines() if line.startswith("Tcp:")]
    if len(rows) != 2 or len(rows[0]) != len(rows[1]):
        raise ValueError("no Tcp: header and value lines")
    return {key: int(value) for key, value in zip(rows[0], rows[1], strict=True)}


def parse_time_wait(text: str) -> Counter[int]:
    """/proc/<pid>/net/tcp or tcp6 -> TIME_WAIT sockets per remote port."""
    out: Counter[int] = Counter()
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == TIME_WAIT:
            out[int(fields[2].rpartition(":")[2], 16)] += 1
    return out


def parse_proc_stat_cpu(text: str) -> tuple[int, int]:
    """/proc/stat's aggregate `cpu` line -> (busy, total) clock ticks."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            ticks = [int(v) for v in fields[1:1 + STAT_FIELDS]]
            idle = sum(ticks[i] for i in IDLE_FIELDS if i < len(ticks))
            return sum(ticks) - idle, sum(ticks)
    raise ValueError("no cpu line")


# --- readers ----------------------------------------------------------------------------

def _read(path: Path) -> str | Unavailable:
    try:
        return path.read_text()
    except OSError as exc:
        return Unavailable(f"{path}: {exc.strerror or exc}")


def locate(names: Sequence[str]) -> dict[str, ContainerRef | Unavailable]:
    """Each named container's id and PID, from one `docker inspect` (missing ones are skipped)."""
    from python_on_whales.exceptions import DockerException
    from python_on_whales.utils import run

    if not names:
        return {}
    cmd = [*docker_client().client_config.docker_cmd, "inspect", "--type", "container",
           "--format", INSPECT_FORMAT, *names]
    with tool_errors("docker inspect"):
        try:
            out = str(run(cmd))
        except DockerException as exc:
            out = exc.stdout or ""
    return parse_inspect(out, names)


def owned_cgroups(ref: ContainerRef, proc: Path = PROC) -> dict[str, str] | Unavailable:
    """The cgroups of the container's main PID, checked to still be its (a PID may be reused)."""
    text = _read(proc / str(ref.pid) / "cgroup")
    if isinstance(text, Unavailable):
        return Unavailable(f"container {ref.name} is gone ({text.reason})")
    groups = parse_proc_cgroup(text)
    if not any(ref.id in path for path in groups.values()):
        return Unavailable(f"container {ref.name} is gone (PID {ref.pid} is another's)")
    return groups


def read_cgroup(ref: ContainerRef, proc: Path = PROC) -> CgroupUsage | Unavailable:
    """The container's CPU ns and memory bytes, through its main PID's cgroup."""
    groups = owned_cgroups(ref, proc)
    if isinstance(groups, Unavailable):
        return groups
    mountinfo = _read(proc / "self" / "mountinfo")
    if isinstance(mountinfo, Unavailable):
        return mountinfo
    files = cgroup_files(groups, parse_mountinfo(mountinfo))
    if isinstance(files, Unavailable):
        return files
    cpu_text, mem_text = _read(files.cpu), _read(files.memory)
    if isinstance(cpu_text, Unavailable):
        return cpu_text
    if isinstance(mem_text, Unavailable):
        return mem_text
    try:
        cpu = parse_int(cpu_text) if files.version == 1 else parse_cpu_stat_ns(cpu_text)
        return CgroupUsage(cpu, parse_int(mem_text), files.version)
    except ValueError as exc:
        return Unavailable(f"cgroup v{files.version} counters of {ref.name} unreadable: {exc}")


def read_tcp(pid: int, proc: Path = PROC) -> TcpCounters | Unavailable:
    """The TCP counters of `pid`'s network namespace (tcp6 may be absent without IPv6)."""
    net = proc / str(pid) / "net"
    snmp, tcp4 = _read(net / "snmp"), _read(net / "tcp")
    if isinstance(snmp, Unavailable):
        return snmp
    if isinstance(tcp4, Unavailable):
        return tcp4
    tcp6 = _read(net / "tcp6")
    try:
        counters = parse_snmp_tcp(snmp)
        waits = parse_time_wait(tcp4) + parse_time_wait(
            "" if isinstance(tcp6, Unavailable) else tcp6)
        return TcpCounters(counters["ActiveOpens"], counters["PassiveOpens"],
                           sum(waits.values()), dict(waits))
    except (ValueError, KeyError) as exc:
        return Unavailable(f"{net}: TCP counters unreadable: {exc}")


def read_host_cpu(proc: Path = PROC) -> HostCpu | Unavailable:
    """The host's busy and total CPU ticks since boot, and os.cpu_count()."""
    text = _read(proc / "stat")
    if isinstance(text, Unavailable):
        return text
    try:
        busy, total = parse_proc_stat_cpu(text)
    except ValueError as exc:
        return Unavailable(f"{proc / 'stat'}: {exc}")
    return HostCpu(busy, total, os.sysconf("SC_CLK_TCK"), os.cpu_count() or 1)


def container_usage(names: Sequence[str], netns: Collection[str] = ()
                    ) -> dict[str, ContainerUsage | Unavailable]:
    """Each named container's cgroup readings (one `docker inspect`), with TCP counters for those
    in `netns`; a failed reading is an `Unavailable`, and so is a missing container."""
    out: dict[str, ContainerUsage | Unavailable] = {}
    for name, ref in locate(names).items():
        if isinstance(ref, Unavailable):
            out[name] = ref
            continue
        owner = owned_cgroups(ref)
        if isinstance(owner, Unavailable):  # its namespace is not the PID's either
            out[name] = ContainerUsage(name, ref.id, owner, owner if name in netns else None)
            continue
        out[name] = ContainerUsage(name, ref.id, read_cgroup(ref),
                                   read_tcp(ref.pid) if name in netns else None)
    return out
