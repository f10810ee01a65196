"""Product versions and upgrade classes (POLICY.md 2, seed 五.3).

A version "9.12" reads: the digits left of the point are the **major** version, the first
digit right of it the **medium** version, the second the **minor** version. So "9.12" is
major 9, medium 1, minor 2, and "10.00" is major 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

UpgradeClass = Literal["major", "medium", "minor", "none", "downgrade"]

_VERSION = re.compile(r"^(?P<major>\d+)\.(?P<medium>\d)(?P<minor>\d)$")


class VersionError(ValueError):
    """A version string that does not read as `major.medium minor` (e.g. "9.12")."""


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A parsed product version; compares in (major, medium, minor) order."""

    major: int
    medium: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.medium}{self.minor}"


def parse_version(text: str) -> Version:
    """Parse "9.12" into Version(9, 1, 2) (POLICY.md 2).

    Exactly one point, one or more digits before it and exactly two digits after it;
    surrounding blanks are ignored. Anything else raises :class:`VersionError` naming the
    value and the expected form.
    """
    if not isinstance(text, str):
        raise VersionError(
            f"version {text!r}: expected text like '9.12', got {type(text).__name__}"
        )
    match = _VERSION.match(text.strip())
    if match is None:
        raise VersionError(
            f"version {text!r}: expected major.medium-minor with two digits after the point, "
            "e.g. '9.00' or '9.12' (major 9, medium 1, minor 2)"
        )
    return Version(int(match["major"]), int(match["medium"]), int(match["minor"]))


def classify_upgrade(current: str | Version, target: str | Version) -> UpgradeClass:
    """What kind of upgrade `current` → `target` is: the highest level that changes.

    "major" when the major number grows, else "medium" when the medium digit grows, else
    "minor" when the minor digit grows; "none" for the same version; "downgrade" when
    `target` is older than `current`. Malformed versions raise :class:`VersionError`.
    """
    old = current if isinstance(current, Version) else parse_version(current)
    new = target if isinstance(target, Version) else parse_version(target)
    if new == old:
        return "none"
    if new < old:
        return "downgrade"
    if new.major != old.major:
        return "major"
    if new.medium != old.medium:
        return "medium"
    return "minor"
