"""Small functions from probe output to facts: replies classified, what Redis speaks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ReplyKind = Literal["pong", "wrongpass", "noauth", "noperm", "redis-error", "verify-failed",
                    "refused", "reset", "timeout", "ssl-error", "none", "other"]
Speaks = Literal["plain", "tls", "mtls", "unknown"]

REDIS_REPLIES: frozenset[str] = frozenset({"pong", "wrongpass", "noauth", "noperm",
                                           "redis-error"})
"""Reply kinds that prove a Redis server understood the connection."""

_MARKERS: tuple[tuple[str, ReplyKind], ...] = (
    ("WRONGPASS", "wrongpass"), ("NOPERM", "noperm"), ("NOAUTH", "noauth"),
    ("certificate verify failed", "verify-failed"), ("Connection refused", "refused"),
    ("Connection reset", "reset"), ("Server closed the connection", "reset"),
    ("I/O error", "reset"), ("SSL", "ssl-error"),
)


def reply_kind(text: str | None) -> ReplyKind:
    """What one redis-cli PING answer means."""
    if text is None or not text.strip():
        return "none"
    text = text.strip()
    if text == "timeout":
        return "timeout"
    if text.startswith("PONG"):
        return "pong"
    for marker, kind in _MARKERS:
        if marker in text:
            return kind
    return "redis-error" if text.startswith(("ERR", "(error)", "-")) else "other"


@dataclass
class AddrProbe:
    """Every check on one address, as the probe container saw it."""

    addr: str
    resolved: bool = False
    ip: str = ""
    tcp: bool | None = None  # None: not tried (did not resolve)
    plain: str | None = None
    tls: str | None = None
    mtls: str | None = None
    client: str | None = None

    @property
    def host(self) -> str:
        """The host part of the address."""
        return self.addr.rsplit(":", 1)[0]

    @property
    def speaks(self) -> Speaks:
        """What Redis on this address speaks, from the replies that got through."""
        for kind, reply in (("plain", self.plain), ("tls", self.tls), ("mtls", self.mtls)):
            if reply_kind(reply) in REDIS_REPLIES:
                return kind  # type: ignore[return-value]
        return "unknown"

    @property
    def client_kind(self) -> ReplyKind:
        """How the component's own settings fared."""
        return reply_kind(self.client)


def parse_probe(text: str, addrs: tuple[str, ...]) -> list[AddrProbe]:
    """The probe script's lines -> one AddrProbe per configured address, in order."""
    probes = {a: AddrProbe(a) for a in addrs}
    for line in text.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[1] not in probes:
            continue
        check, addr, result = parts
        p = probes[addr]
        if check == "resolve":
            p.resolved = result.startswith("ok")
            p.ip = result[3:].strip() if p.resolved else ""
        elif check == "tcp":
            p.tcp = result == "ok"
        elif check in ("plain", "tls", "mtls", "client"):
            setattr(p, check, result)
    return list(probes.values())


def count(probes: list[AddrProbe], what: str) -> str:
    """`"3 of 6 addresses <what>"`."""
    return f"of {len(probes)} addresses {what}"
