"""Redis Cluster hash slots (CRC16/XMODEM of the key, or of its `{hash tag}`, mod 16384),
to tell which shard holds a key's session: the drill's load keys cover every shard, so
a primary fault always hits some of them."""

from __future__ import annotations

from collections.abc import Sequence

from stackctl.cluster.readiness import CLUSTER_SLOTS
from stackctl.tyk.lookup import redis_key_prefix


def crc16(data: bytes) -> int:
    """CRC16/XMODEM (polynomial 0x1021, initial 0), as Redis Cluster uses it."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def key_slot(key: str) -> int:
    """The hash slot of `key` (CLUSTER KEYSLOT)."""
    raw = key.encode()
    start = raw.find(b"{")
    if start != -1:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1:end]
    return crc16(raw) % CLUSTER_SLOTS


def in_ranges(slot: int, ranges: Sequence[str]) -> bool:
    """Whether CLUSTER NODES slot ranges (`0-5460`, `5461`) hold `slot`."""
    for item in ranges:
        if item.startswith("["):
            continue
        low, _, high = item.partition("-")
        if int(low) <= slot <= int(high or low):
            return True
    return False


def session_slot(key_hash: str) -> int:
    """The slot of a key's session record (`apikey-` + its hash: the Tyk tables)."""
    return key_slot(redis_key_prefix("session") + key_hash)
