"""Version parsing and upgrade classes (POLICY.md 2, seed 五.3)."""

import pytest

from scheduling.versions import Version, VersionError, classify_upgrade, parse_version


def test_nine_twelve_reads_major_medium_minor():
    """ "9.12" is major 9, medium 1, minor 2."""
    assert parse_version("9.12") == Version(9, 1, 2)


def test_ten_hundred_is_major_ten():
    """ "10.00" is major 10 with medium and minor 0."""
    assert parse_version(" 10.00 ") == Version(10, 0, 0)


@pytest.mark.parametrize(
    "text", ["9", "9.1", "9.123", "v9.12", "9,12", "", ".12", "9.1a", "9.12.1"]
)
def test_malformed_versions_are_rejected_with_the_value(text):
    """A version without exactly two digits after one point is rejected, naming the value."""
    with pytest.raises(VersionError, match=r"expected major\.medium-minor"):
        parse_version(text)


def test_non_text_version_is_rejected():
    """A number instead of text is rejected (9.10 as float would lose its trailing zero)."""
    with pytest.raises(VersionError):
        parse_version(9.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        ("9.00", "9.01", "minor"),
        ("9.00", "9.12", "medium"),
        ("9.00", "9.10", "medium"),
        ("9.00", "10.00", "major"),
        ("9.99", "10.00", "major"),
        ("9.12", "9.12", "none"),
        ("9.12", "9.02", "downgrade"),
        ("10.00", "9.99", "downgrade"),
    ],
)
def test_upgrade_class_is_the_highest_level_that_changes(current, target, expected):
    """POLICY.md 2: 9.00 → 9.12 is medium (free), 9.00 → 10.00 is major (needs agreement)."""
    assert classify_upgrade(current, target) == expected
