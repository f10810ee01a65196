"""Travel providers: great circle at banded zone speeds, and a user-supplied CSV matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling.geo import haversine_km
from scheduling.policy import load_policy
from scheduling.travel import GreatCircleTravel, MatrixFileTravel, Point, TravelMatrixError

POLICY = load_policy()
SH = Point("home:E1", 31.2304, 121.4737)
NJ = Point("customer:C4", 32.0603, 118.7969)


def test_great_circle_km_is_detoured():
    """Road km = great-circle km x the policy's detour factor."""
    km, _ = GreatCircleTravel(POLICY).leg(SH, NJ)
    assert km == pytest.approx(haversine_km(SH.lat, SH.lon, NJ.lat, NJ.lon) * 1.3)


def test_speed_bands():
    """30 km at 25 km/h, 50 km at 40 km/h, then 90 km/h: 100 road km take
    72 + 75 + 13.3 min, rounded up to 161."""
    travel = GreatCircleTravel(POLICY)
    assert int(travel.minutes_for_km(100.0)) == 161
    assert int(travel.minutes_for_km(30.0)) == 72
    assert int(travel.minutes_for_km(0.0)) == 0


@given(st.floats(0, 2000), st.floats(0, 2000))
def test_time_is_monotone_and_sub_additive(a, b):
    """Driving further never takes less time, and one leg never takes longer than two
    legs covering the same distance (the triangle inequality holds for times)."""
    travel = GreatCircleTravel(POLICY)
    ta, tb, tab = (int(travel.minutes_for_km(x)) for x in (a, b, a + b))
    assert tab >= max(ta, tb)
    assert tab <= ta + tb


def test_matrix_matches_legs():
    """matrix() and leg() agree, with zeros on the diagonal."""
    travel = GreatCircleTravel(POLICY)
    km, minutes = travel.matrix([SH, NJ])
    assert km[0, 0] == 0 and minutes[1, 1] == 0
    assert (km[0, 1], minutes[0, 1]) == pytest.approx(travel.leg(SH, NJ))
    assert minutes.dtype == np.int64


@given(st.floats(18, 45), st.floats(100, 125), st.floats(18, 45), st.floats(100, 125))
def test_a_leg_takes_the_minutes_the_matrix_gives(lat1, lon1, lat2, lon2):
    """The booking passes time single legs, the routing search a matrix: both must agree
    to the minute, or a visit one accepts the other refuses."""
    travel = GreatCircleTravel(POLICY)
    a, b = Point("a", lat1, lon1), Point("b", lat2, lon2)
    _, minutes = travel.matrix([a, b])
    assert travel.leg(a, b)[1] == int(minutes[0, 1])
    assert int(travel.minutes_for_km(travel.leg(a, b)[0])) == travel.leg(a, b)[1]


def test_matrix_file_lookup_and_reverse(tmp_path):
    """A CSV matrix gives its km and minutes, and the reverse pair when only one way is given."""
    path = tmp_path / "m.csv"
    path.write_text("from_id,to_id,km,minutes\nhome:E1,customer:C4,310.5,240\n", encoding="utf-8")
    travel = MatrixFileTravel(path)
    assert travel.leg(SH, NJ) == (310.5, 240)
    assert travel.leg(NJ, SH) == (310.5, 240)
    km, minutes = travel.matrix([SH, NJ])
    assert km[1, 0] == 310.5 and minutes[0, 1] == 240


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("from_id,to_id,km\n", r"missing column\(s\) \['minutes'\]"),
        ("from_id,to_id,km,minutes\na,b,far,3\n", "row 2, column km: 'far' is not a number"),
        ("from_id,to_id,km,minutes\na,b,3,-1\n", "row 2, column minutes: -1 must be >= 0"),
        ("from_id,to_id,km,minutes\n,b,3,1\n", "row 2, column from_id: empty id"),
    ],
)
def test_matrix_file_errors_name_row_and_column(tmp_path, body, message):
    """A bad matrix file is refused naming the file, row, column and value."""
    path = tmp_path / "m.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TravelMatrixError, match=message):
        MatrixFileTravel(path)


def test_matrix_file_missing_pair(tmp_path):
    """A pair the file does not know is an error naming both ids."""
    path = tmp_path / "m.csv"
    path.write_text("from_id,to_id,km,minutes\nx,y,1,1\n", encoding="utf-8")
    with pytest.raises(TravelMatrixError, match="no row from 'home:E1' to 'customer:C4'"):
        MatrixFileTravel(path).leg(SH, NJ)
