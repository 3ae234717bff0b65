"""runtime.usage parsers on files copied from this machine (Engine 20.10, cgroupfs driver,
cgroup v1 with a v2 `unified` mount; a container with 5 TIME_WAIT sockets to port 8080)
and the readers' unavailable cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackctl.runtime import usage
from stackctl.runtime.usage import (
    CgroupFiles,
    CgroupUsage,
    ContainerRef,
    TcpCounters,
    Unavailable,
)

pytestmark = pytest.mark.unit

FIX = Path(__file__).parent / "fixtures" / "meter"
CID = "3c3e47dd7f4e48af93f6fb69c8631b17f26d7f6c73264d50f721b78ff947449b"


def _text(name: str) -> str:
    return (FIX / name).read_text()


def test_parse_inspect_keeps_running_and_explains_the_rest() -> None:
    text = (f"/stack-gateway-1\t{CID}\t4242\trunning\n"
            "/stack-redis-1\tabc\t0\texited\n")
    refs = usage.parse_inspect(text, ["stack-gateway-1", "stack-redis-1", "stack-gone-1"])
    assert refs["stack-gateway-1"] == ContainerRef("stack-gateway-1", CID, 4242)
    assert refs["stack-redis-1"] == Unavailable("container stack-redis-1 is exited")
    assert refs["stack-gone-1"] == Unavailable("no container stack-gone-1")


def test_parse_proc_cgroup_maps_each_controller_and_the_unified_line() -> None:
    groups = usage.parse_proc_cgroup(_text("container_cgroup_v1"))
    assert groups["cpuacct"] == groups["memory"] == groups[""] == f"/docker/{CID}"
    assert groups["name=systemd"] == f"/docker/{CID}"


def test_parse_mountinfo_finds_v1_controllers_and_the_v2_mount() -> None:
    mounts = usage.parse_mountinfo(_text("host_mountinfo"))
    by_point = {str(m.point): m for m in mounts}
    assert by_point["/sys/fs/cgroup/cpuacct"].controllers >= {"cpuacct"}
    assert by_point["/sys/fs/cgroup/memory"].version == 1
    assert by_point["/sys/fs/cgroup/unified"].version == 2
    assert "/sys/fs/cgroup" not in by_point  # the tmpfs holding them is not a cgroup


def test_cgroup_files_prefer_v1_on_a_hybrid_host() -> None:
    files = usage.cgroup_files(usage.parse_proc_cgroup(_text("container_cgroup_v1")),
                               usage.parse_mountinfo(_text("host_mountinfo")))
    assert files == CgroupFiles(
        1, Path(f"/sys/fs/cgroup/cpuacct/docker/{CID}/cpuacct.usage"),
        Path(f"/sys/fs/cgroup/memory/docker/{CID}/memory.usage_in_bytes"))


def test_cgroup_files_use_v2_when_only_the_unified_tree_is_mounted() -> None:
    v2_only = "\n".join(line for line in _text("host_mountinfo").splitlines()
                        if " - cgroup " not in line)  # this machine's mountinfo, v1 removed
    files = usage.cgroup_files(usage.parse_proc_cgroup(_text("container_cgroup_v1")),
                               usage.parse_mountinfo(v2_only))
    assert files == CgroupFiles(2, Path(f"/sys/fs/cgroup/unified/docker/{CID}/cpu.stat"),
                                Path(f"/sys/fs/cgroup/unified/docker/{CID}/memory.current"))


def test_cgroup_files_unavailable_without_any_hierarchy() -> None:
    files = usage.cgroup_files({"": "/x"}, [])
    assert isinstance(files, Unavailable)


def test_counter_parsers_read_real_files() -> None:
    assert usage.parse_int(_text("cpuacct.usage")) == 93383042
    assert usage.parse_int(_text("memory.usage_in_bytes")) == 4005888
    assert usage.parse_cpu_stat_ns(_text("cpu.stat")) == 93383000
    with pytest.raises(ValueError, match="usage_usec"):
        usage.parse_cpu_stat_ns("user_usec 1\n")


def test_parse_snmp_tcp_reads_the_tcp_lines() -> None:
    tcp = usage.parse_snmp_tcp(_text("container_net_snmp"))
    assert (tcp["ActiveOpens"], tcp["PassiveOpens"], tcp["CurrEstab"]) == (5, 5, 0)
    with pytest.raises(ValueError):
        usage.parse_snmp_tcp("Ip: Forwarding\nIp: 1\n")


def test_parse_time_wait_counts_state_06_per_remote_port() -> None:
    assert usage.parse_time_wait(_text("container_net_tcp")) == {8080: 5}  # LISTEN not
    six = usage.parse_time_wait(_text("host_net_tcp6"))  # 3 TIME_WAIT, 2 ESTABLISHED
    assert six == {0x9F67: 3}
    assert usage.parse_time_wait("  sl  local_address rem_address   st\n") == {}


def test_parse_proc_stat_cpu_busy_leaves_out_idle_and_iowait() -> None:
    busy, total = usage.parse_proc_stat_cpu(_text("proc_stat"))
    fields = [int(v) for v in _text("proc_stat").splitlines()[0].split()[1:9]]
    assert total == sum(fields)
    assert busy == total - fields[3] - fields[4]
    assert 0 < busy < total


def _fake_proc(tmp_path: Path, pid: int, cgroup_dir: Path) -> Path:
    """A /proc tree from the fixtures whose mountinfo points into `cgroup_dir`."""
    proc = tmp_path / "proc"
    (proc / str(pid) / "net").mkdir(parents=True)
    (proc / "self").mkdir()
    shutil.copy(FIX / "container_cgroup_v1", proc / str(pid) / "cgroup")
    for name in ("snmp", "tcp"):
        shutil.copy(FIX / f"container_net_{name}", proc / str(pid) / "net" / name)
    shutil.copy(FIX / "proc_stat", proc / "stat")
    mountinfo = _text("host_mountinfo").replace("/sys/fs/cgroup", str(cgroup_dir))
    (proc / "self" / "mountinfo").write_text(mountinfo)
    for ctl, name in (("cpuacct", "cpuacct.usage"), ("memory", "memory.usage_in_bytes")):
        target = cgroup_dir / ctl / "docker" / CID
        target.mkdir(parents=True)
        shutil.copy(FIX / name, target / name)
    return proc


def test_readers_on_a_proc_tree(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, 77, tmp_path / "cg")
    ref = ContainerRef("c", CID, 77)
    assert usage.read_cgroup(ref, proc) == CgroupUsage(93383042, 4005888, 1)
    assert usage.read_tcp(77, proc) == TcpCounters(5, 5, 5, {8080: 5})  # no tcp6: none
    host = usage.read_host_cpu(proc)
    assert not isinstance(host, Unavailable)
    assert host.cores >= 1 and host.ticks_per_s > 0


def test_readers_say_why_when_the_container_is_gone(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, 77, tmp_path / "cg")
    gone = usage.read_cgroup(ContainerRef("c", CID, 78), proc)
    assert isinstance(gone, Unavailable) and "container c is gone" in gone.reason
    reused = usage.read_cgroup(ContainerRef("c", "f" * 64, 77), proc)
    assert reused == Unavailable("container c is gone (PID 77 is another's)")
    tcp = usage.read_tcp(78, proc)
    assert isinstance(tcp, Unavailable) and "snmp" in tcp.reason


def test_read_cgroup_unavailable_when_a_counter_file_is_unreadable(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, 77, tmp_path / "cg")
    (tmp_path / "cg" / "memory" / "docker" / CID / "memory.usage_in_bytes").unlink()
    got = usage.read_cgroup(ContainerRef("c", CID, 77), proc)
    assert isinstance(got, Unavailable) and "memory.usage_in_bytes" in got.reason


def test_gateway_namespace_fixture_time_wait_by_upstream_and_redis_port() -> None:
    """A real gateway after a smoke: TIME_WAIT to upstream:80, Redis :6379, its health
    port :8080; IPv6 table present and empty."""
    waits = (usage.parse_time_wait(_text("gateway_net_tcp"))
             + usage.parse_time_wait(_text("gateway_net_tcp6")))
    assert (waits[80], waits[6379], waits[8080]) == (2, 9, 1)
    assert usage.parse_snmp_tcp(_text("gateway_net_snmp"))["ActiveOpens"] == 148
