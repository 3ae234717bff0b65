"""Idle cost of the default stack: CPU used with no traffic (target <= 5% of one core).

Brings up the default stack (`up --offline --no-smoke`, tls off, 3 x 1), lets it settle,
then over a window reads, each as % of one core:
- the whole host busy (/proc/stat: everything but idle and iowait);
- the stack's containers (cgroup cpuacct/cpu.stat; healthcheck execs run in them);
- dockerd, containerd and the containerd-shims (/proc/<pid>/stat), their own time; what
  their reaped children (runc, the exec'd commands) used is shown apart (the exec'd
  commands already count in the cgroups).
Prints the figures and the per-container split; asserts nothing. Runs in its own project
(`stackctl-bench-idle`, subnets 172.31.196.0/24 and 172.31.197.0/24) in a temporary
directory, and tears it down with its volumes unless `--keep`.

    .venv/bin/python benchmarks/idle_cpu.py [--settle 10] [--window 60] [--keep]
        [--source DIR]   # the stackctl checkout to run (default: this one)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_PCT = 5.0
PROJECT = "stackctl-bench-idle"
DAEMONS = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2")
HZ = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parents[1]


def stackctl(cwd: Path, env: dict[str, str], *args: str) -> float:
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"stackctl {' '.join(args)} failed: {out.stderr.strip()[-2000:]}")
    return time.monotonic() - start


def host_busy() -> float:
    """Seconds of CPU the host spent busy (all cores) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / HZ


def daemon_cpu() -> dict[int, tuple[float, float]]:
    """pid -> (own, reaped children's) CPU seconds of Docker's daemons and shims. The
    children are mostly runc and the exec'd commands, which the containers' cgroups also
    count: they are reported apart, not added."""
    out: dict[int, tuple[float, float]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        if comm in DAEMONS or comm.startswith("containerd-shim"):
            ticks = [int(x) for x in stat[stat.rindex(")") + 2:].split()[11:15]]
            out[int(proc.name)] = ((ticks[0] + ticks[1]) / HZ, (ticks[2] + ticks[3]) / HZ)
    return out


def containers() -> dict[str, str]:
    """name -> cgroup CPU file of the project's running containers."""
    ids = subprocess.run(["docker", "ps", "-q", "--filter",
                          f"label=com.docker.compose.project={PROJECT}"],
                         capture_output=True, text=True, check=True).stdout.split()
    if not ids:
        return {}
    out = subprocess.run(["docker", "inspect", "--format", "{{.Name}} {{.State.Pid}}", *ids],
                         capture_output=True, text=True, check=True).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, pid = line.split()
        found[name.lstrip("/")] = cgroup_cpu_file(int(pid))
    return found


def cgroup_cpu_file(pid: int) -> str:
    """The cpuacct.usage (v1) or cpu.stat (v2) file of a process's cgroup."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            return f"/sys/fs/cgroup/cpuacct{path}/cpuacct.usage"
        if controllers == "" and Path("/sys/fs/cgroup/cpu.stat").exists():
            return f"/sys/fs/cgroup{path}/cpu.stat"
    raise SystemExit(f"no CPU cgroup found for pid {pid}")


def cgroup_seconds(path: str) -> float:
    text = Path(path).read_text()
    if path.endswith("cpuacct.usage"):
        return int(text) / 1e9
    usage = next(line for line in text.splitlines() if line.startswith("usage_usec"))
    return int(usage.split()[1]) / 1e6


def measure(window: float) -> None:
    files = containers()
    if not files:
        raise SystemExit(f"no running containers in project {PROJECT}")
    t0, host0, daemons0 = time.monotonic(), host_busy(), daemon_cpu()
    cg0 = {name: cgroup_seconds(f) for name, f in files.items()}
    time.sleep(window)
    t1, host1, daemons1 = time.monotonic(), host_busy(), daemon_cpu()
    cg1 = {name: cgroup_seconds(f) for name, f in files.items()}
    secs = t1 - t0

    def pct(cpu: float) -> float:
        return 100 * cpu / secs

    per = {name: pct(cg1[name] - cg0[name]) for name in files}
    own = pct(sum(v[0] - daemons0.get(pid, (0.0, 0.0))[0] for pid, v in daemons1.items()))
    kids = pct(sum(v[1] - daemons0.get(pid, (0.0, 0.0))[1] for pid, v in daemons1.items()))
    host = pct(host1 - host0)
    stack = sum(per.values())
    rows = [("host busy (/proc/stat, others' work too)", host),
            (f"stack containers ({len(per)} cgroups)", stack),
            ("dockerd + containerd + shims (own)", own),
            ("  their reaped children (runc, execs)", kids),
            ("stack + daemons", stack + own)]
    print(f"idle over {secs:.0f} s, % of one core (target <= {TARGET_PCT:.0f}%):")
    for label, value in rows:
        print(f"    {label:<42} {value:6.1f}%")
    verdict = "meets" if stack + own <= TARGET_PCT else "misses"
    print(f"    stack + daemons {verdict} the target of {TARGET_PCT:.0f}%")
    for name, value in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"        {name:<36} {value:6.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the stackctl checkout to run (its controller/ and stack/)")
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env.update({"STACKCTL_PROJECT": PROJECT, "STACKCTL_REDIS__SUBNET": "172.31.196.0/24",
                "STACKCTL_NETWORK__SUBNET": "172.31.197.0/24",
                "STACKCTL_GATEWAY__PORT": str(port), "STACKCTL_IMAGES__OFFLINE": "true",
                "PYTHONPATH": str(args.source.resolve() / "controller")})
    cwd = Path(tempfile.mkdtemp(prefix="stackctl-idle-"))
    try:
        up = stackctl(cwd, env, "up", "--offline", "--tls", "off", "--shards", "3",
                      "--replicas", "1", "--no-smoke", "--json")
        print(f"source {args.source.resolve()}; up {up:.1f} s; state in {cwd}")
        time.sleep(args.settle)
        measure(args.window)
    finally:
        if args.keep:
            print(f"kept: cd {cwd} && PYTHONPATH={env['PYTHONPATH']} STACKCTL_PROJECT={PROJECT}"
                  f" STACKCTL_REDIS__SUBNET=172.31.196.0/24"
                  f" STACKCTL_NETWORK__SUBNET=172.31.197.0/24"
                  f" {sys.executable} -m stackctl down --volumes")
        else:
            subprocess.run([sys.executable, "-m", "stackctl", "down", "--volumes"], cwd=cwd,
                           env=env, capture_output=True, timeout=120)
            shutil.rmtree(cwd, ignore_errors=True)


if __name__ == "__main__":
    main()
