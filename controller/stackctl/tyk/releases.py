"""Release numbers and the version ranges the tables attach to every name."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")

Release = tuple[int, int, int]


def parse(release: str) -> Release:
    """`v5.8.15` -> (5, 8, 15); a missing patch is 0. Raises ValueError on anything else."""
    match = _RELEASE.match(release.strip())
    if match is None:
        raise ValueError(f"not a release number: {release!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def looks_like_release(text: str) -> bool:
    """Whether `text` (e.g. an image tag) starts like a release number."""
    return _RELEASE.match(text.strip()) is not None


_TOP = 10**9
"""Stands for "every patch" in an `until` without a patch number, and for an open end."""


def release_tag(image: str | None) -> str | None:
    """The tag of `name:tag` when it reads as a release number (`v5.8.15`)."""
    if image is None or ":" not in image.rsplit("/", 1)[-1]:
        return None
    tag = image.rsplit(":", 1)[1]
    return tag if looks_like_release(tag) else None


@dataclass(frozen=True)
class Range:
    """Releases `since`..`until` inclusive (None: open); an `until` without a patch (`v5.2`)
    covers that minor line. Also go-redis and storage versions (`v9.7.0`)."""

    since: str | None = None
    until: str | None = None

    @classmethod
    def exact(cls, version: str) -> Range:
        """The one version `version`."""
        return cls(version, version)

    def _low(self) -> Release:
        return (0, 0, 0) if self.since is None else parse(self.since)

    def _high(self) -> Release:
        if self.until is None:
            return (_TOP, _TOP, _TOP)
        top = parse(self.until)
        return (top[0], top[1], _TOP) if self.until.count(".") == 1 else top

    def contains(self, release: str) -> bool:
        """Whether `release` falls in this range."""
        return self._low() <= parse(release) <= self._high()

    def within(self, other: Range) -> bool:
        """Whether every version of this range is in `other`."""
        return other._low() <= self._low() and self._high() <= other._high()

    def overlaps(self, other: Range) -> bool:
        """Whether some version is in both ranges."""
        return self._low() <= other._high() and other._low() <= self._high()

    def describe(self) -> str:
        """Human form: `v9.7.0`, `v5.3.0+`, `v2.3.2-v2.9.2`, `up to v2.9.2`, `all releases`."""
        if self.since and self.since == self.until:
            return self.since
        if self.since and self.until:
            return f"{self.since}-{self.until}"
        if self.since:
            return f"{self.since}+"
        return f"up to {self.until}" if self.until else "all releases"


@dataclass(frozen=True)
class AnyOf:
    """A union of ranges (e.g. 5.8.6+ within the 5.8 line, and 5.10.0+)."""

    ranges: tuple[Range, ...]

    def contains(self, release: str) -> bool:
        """Whether `release` falls in any of the ranges."""
        return any(r.contains(release) for r in self.ranges)

    def describe(self) -> str:
        """`v5.8.6-v5.8, v5.10.0+`."""
        return ", ".join(r.describe() for r in self.ranges)


Releases = Range | AnyOf
"""What a table row attaches to: one range or a union."""


ALWAYS = Range()
