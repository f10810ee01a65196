"""Splitting one trip's shared cost over the customers it served (POLICY.md 5).

The promises, for every trip, whatever the order of its stops:

1. the customers' parts add up exactly, to the cent, to the trip cost;
2. no customer pays more than a trip made for it alone would have cost (its *stand-alone*
   cost: start place -> that customer -> end place, at the same rates);
3. the split depends only on the trip cost and the stand-alone costs, never on the order of
   the stops or of the arguments.

Method ``proportional_standalone`` (the default of `data/policy.toml`): each customer pays
the trip cost times its stand-alone cost over the sum of the stand-alone costs. Cents are
split by the largest-remainder rule (ties: the smaller customer id gets the cent), all in
integer cents so no float and no rounding drift enter. Promise 2 follows from the triangle
inequality (one trip costs at most the sum of its stand-alone trips); on a degenerate input
where the trip costs more than that sum, each customer pays its stand-alone cost and the
excess is reported as `unallocated` with `capped=True` instead of being billed.

Method ``journey_proportional_standalone``: the cost of a day without visits on an
out-of-town journey (the ride back from the hotel, its allowance, a night), or of a day its
own customers cannot carry (a city call on the way to the hotel), is split over the
customers served on the journey, proportionally to each one's stand-alone
*journey* cost, with a cap per customer (what its stand-alone journey costs beyond what it
already pays on the visit days). A customer whose part would pass its cap pays the cap and
the rest is spread over the others in the same proportions, until everything is placed or
every cap is reached (then `capped=True` and the excess is `unallocated`).

All amounts are `Decimal` with two places; this module never touches a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.000001")
PROPORTIONAL_STANDALONE = "proportional_standalone"
JOURNEY_PROPORTIONAL_STANDALONE = "journey_proportional_standalone"
METHODS = (PROPORTIONAL_STANDALONE, JOURNEY_PROPORTIONAL_STANDALONE)


class AllocationError(ValueError):
    """An allocation that cannot be made: unknown method, negative or sub-cent amounts."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one trip's cost is split: amounts and shares per customer, sorted by customer id."""

    method: str
    total: Decimal
    amounts: tuple[tuple[str, Decimal], ...]
    shares: tuple[tuple[str, Decimal], ...]  # the customer's fraction of the trip, 6 places
    capped: bool = False
    unallocated: Decimal = Decimal("0.00")  # total - sum(amounts); not zero only if capped

    def amount(self, customer_id: str) -> Decimal:
        """The amount billed to `customer_id`; KeyError if it was not on the trip."""
        return dict(self.amounts)[customer_id]

    def share(self, customer_id: str) -> Decimal:
        """The fraction of the trip billed to `customer_id`; KeyError if not on the trip."""
        return dict(self.shares)[customer_id]


def to_cents(amount: Decimal, what: str = "amount") -> int:
    """`amount` as an integer number of cents; AllocationError if negative or sub-cent."""
    if not isinstance(amount, Decimal):
        raise AllocationError(f"{what} must be Decimal, got {type(amount).__name__} {amount!r}")
    if amount < 0:
        raise AllocationError(f"{what} must not be negative, got {amount}")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise AllocationError(f"{what} {amount} has more than two decimal places")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """An integer number of cents as a two-place Decimal."""
    return (Decimal(cents) / 100).quantize(CENT)


def largest_remainder(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split the integer `total` proportionally to integer `weights`, exactly.

    Each key gets the floor of its quota; the units left over go one each to the largest
    remainders, ties broken by the smaller key. All weights zero: an equal split.
    """
    if total < 0 or any(w < 0 for w in weights.values()):
        raise AllocationError("largest_remainder needs a non-negative total and weights")
    keys = sorted(weights)
    if not keys:
        if total:
            raise AllocationError(f"nobody to split {total} over")
        return {}
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        weights = dict.fromkeys(keys, 1)
        weight_sum = len(keys)
    floors = {k: total * weights[k] // weight_sum for k in keys}
    remainders = {k: total * weights[k] % weight_sum for k in keys}
    left = total - sum(floors.values())
    for key in sorted(keys, key=lambda k: (-remainders[k], k))[:left]:
        floors[key] += 1
    return floors


def capped_largest_remainder(
    total: int, weights: Mapping[str, int], caps: Mapping[str, int]
) -> dict[str, int]:
    """Split the integer `total` proportionally to `weights`, nobody above its cap, exactly.

    Proportional split by :func:`largest_remainder`; every key whose part passes its cap is
    fixed at the cap and the rest is split again over the others, until no part passes.
    Needs ``total <= sum(caps)``. Deterministic and independent of the order of the keys.
    """
    if set(caps) != set(weights):
        raise AllocationError("weights and caps must name the same customers")
    if any(c < 0 for c in caps.values()) or total > sum(caps.values()):
        raise AllocationError(f"cannot place {total} within caps summing {sum(caps.values())}")
    parts = dict.fromkeys(weights, 0)
    active = {k for k in weights if caps[k] > 0}
    left = total
    while left:
        split = largest_remainder(left, {k: weights[k] for k in active})
        over = {k for k in active if split[k] > caps[k]}
        if not over:
            parts.update(split)
            break
        for key in over:
            parts[key] = caps[key]
            left -= caps[key]
        active -= over
    return parts


def allocate(
    total: Decimal,
    standalone: Mapping[str, Decimal],
    method: str = PROPORTIONAL_STANDALONE,
    *,
    cap: bool = True,
    caps: Mapping[str, Decimal] | None = None,
) -> Allocation:
    """Split the trip cost `total` over the customers of `standalone` (customer -> cost).

    Promises 1-3 of the module hold. `cap=False` (used when actual expenses replace the
    estimate, whose stand-alone counterpart is unknown) bills the whole total in the same
    proportions even when it exceeds the sum of the stand-alone estimates. `caps` (customer
    -> most it may pay; the journey method) replaces the stand-alone costs as the ceilings:
    weights stay the stand-alone costs, parts are placed by
    :func:`capped_largest_remainder`.
    """
    if method not in METHODS:
        raise AllocationError(f"unknown allocation method {method!r}; known: {METHODS}")
    total_cents = to_cents(total, "trip cost")
    weights = {c: to_cents(v, f"stand-alone cost of {c}") for c, v in standalone.items()}
    if not weights:
        raise AllocationError(f"a trip costing {total} served no customer")
    weight_sum = sum(weights.values())
    ceilings = dict(weights)
    if caps is not None:
        if set(caps) != set(weights):
            raise AllocationError("caps must name exactly the customers of the trip")
        ceilings = {c: to_cents(v, f"cap of {c}") for c, v in caps.items()}
    if cap and total_cents > sum(ceilings.values()):
        # Degenerate input (triangle inequality broken, e.g. a distance matrix that is not
        # a metric): nobody pays more than its stand-alone trip; the excess stays visible.
        parts = dict(ceilings)
        capped = True
    elif cap and caps is not None:
        parts = capped_largest_remainder(total_cents, weights, ceilings)
        capped = False
    else:
        parts = largest_remainder(total_cents, weights)
        capped = False
    keys = sorted(weights)
    return Allocation(
        method=method,
        total=from_cents(total_cents),
        amounts=tuple((k, from_cents(parts[k])) for k in keys),
        shares=tuple(
            # with caps the parts are no longer proportional to the weights: show the parts
            (
                k,
                _share(parts[k], sum(parts.values()), len(keys))
                if caps is not None
                else _share(weights[k], weight_sum, len(keys)),
            )
            for k in keys
        ),
        capped=capped,
        unallocated=from_cents(total_cents - sum(parts.values())),
    )


def _share(weight: int, weight_sum: int, count: int) -> Decimal:
    if weight_sum == 0:
        return (Decimal(1) / count).quantize(SHARE_PLACES)
    return (Decimal(weight) / Decimal(weight_sum)).quantize(SHARE_PLACES)


def split_items(
    customer_amounts: Mapping[str, Decimal], item_amounts: Mapping[str, Decimal]
) -> dict[tuple[str, str], Decimal]:
    """Spread each customer's amount over the trip's cost items, exact in both directions.

    Returns (customer, item) -> amount such that every customer's row adds up to its amount
    and every item's column adds up to the item's amount, each cell within one cent of the
    proportional ideal (customer amount x item amount / total). The cents are placed by
    Ryser's greedy construction (each item's spare cents go to the customers with the most
    cents still owed; ties: larger remainder, then smaller customer id), which always
    succeeds when the two margins have the same sum.
    """
    rows = {c: to_cents(v, f"amount of {c}") for c, v in customer_amounts.items()}
    cols = {i: to_cents(v, f"item {i}") for i, v in item_amounts.items()}
    total = sum(rows.values())
    if total != sum(cols.values()):
        raise AllocationError(
            f"customers' parts ({from_cents(total)}) and items "
            f"({from_cents(sum(cols.values()))}) do not add up to the same trip cost"
        )
    customers, items = sorted(rows), sorted(cols)
    cells: dict[tuple[str, str], int] = {}
    remainder: dict[tuple[str, str], int] = {}
    for c in customers:
        for i in items:
            numerator = rows[c] * cols[i]
            cells[c, i] = numerator // total if total else 0
            remainder[c, i] = numerator % total if total else 0
    owed = {c: rows[c] - sum(cells[c, i] for i in items) for c in customers}
    for i in items:
        spare = cols[i] - sum(cells[c, i] for c in customers)
        chosen = sorted(
            (c for c in customers if owed[c] > 0), key=lambda c: (-owed[c], -remainder[c, i], c)
        )[:spare]
        if len(chosen) < spare:  # pragma: no cover - impossible by Ryser's theorem
            raise AllocationError(f"cannot place {spare} cents of item {i}")
        for c in chosen:
            cells[c, i] += 1
            owed[c] -= 1
    return {key: from_cents(value) for key, value in cells.items()}
