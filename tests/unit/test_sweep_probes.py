"""Sweep probes: Redis client counts, docker stats and pool-timeout log lines."""

from __future__ import annotations

import pytest

from stackctl.cluster.access import parse_clients
from stackctl.meter.pool import count_pool_timeouts, pool_timeout_texts


@pytest.mark.unit
def test_parse_clients_reads_info_and_config_get() -> None:
    text = ("## clients\r\n# Clients\r\nconnected_clients:42\r\nblocked_clients:0\r\n"
            "## maxclients\nmaxclients\n10000\n")
    assert parse_clients("redis-1", text).connected == 42
    assert parse_clients("redis-1", text).maxclients == 10000
    broken = parse_clients("redis-2", "## clients\nNOPERM\n## maxclients\nNOPERM\n")
    assert (broken.connected, broken.maxclients) == (0, 0)


@pytest.mark.unit
def test_pool_timeouts_counted_from_the_tables_signature() -> None:
    assert "redis: connection pool timeout" in pool_timeout_texts()
    log = ('time="x" level=error msg="Redis failure" err="redis: connection pool timeout"\n'
           'time="x" level=info msg="storage: connected to redis"\n'
           'level=warning msg="x" error="redis: connection pool timeout"\n')
    assert count_pool_timeouts(log) == 2
