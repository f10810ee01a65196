"""Cost lines: a priced trip's items split over its customers, what finance bills.

:func:`trip_lines` takes a :class:`scheduling.costs.Trip` (priced by
:func:`scheduling.costs.plan_trips`) and gives one :class:`CostLine` per customer and item,
the parts adding up to the cent with the promises of :mod:`scheduling.allocation` (no
customer pays more than a trip made for it alone). Recorded actual amounts replace the
estimates (:func:`billed_items`); each line keeps its estimate beside the billed amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from scheduling.allocation import (
    PROPORTIONAL_STANDALONE,
    allocate,
    from_cents,
    largest_remainder,
    split_items,
    to_cents,
)
from scheduling.cost_legs import ITEMS, CostError, money
from scheduling.costs import JOURNEY_METHODS, CostItem, Trip


@dataclass(frozen=True, slots=True)
class CostLine:
    """A customer's part of one item of one trip: what finance bills, traceable to visits.

    `quantity` and `unit_rate` describe the whole trip's item; `share` is the customer's
    fraction of the trip; `amount` is what the customer is billed (the actual when one was
    recorded, else the estimate) and `estimate` what the plan priced.
    """

    line_key: str  # trip_id/customer_id/item_key: stable across re-plans and actuals
    trip_id: str
    customer_id: str
    request_refs: tuple[str, ...]
    day: date
    engineer_id: str
    item: str
    tag: str
    quantity: Decimal
    unit_rate: Decimal | None
    amount: Decimal
    estimate: Decimal
    currency: str
    basis: str  # estimate | actual
    method: str
    share: Decimal

    @property
    def difference(self) -> Decimal:
        """Actual minus estimate (zero for an estimate line)."""
        return self.amount - self.estimate


@dataclass(frozen=True, slots=True)
class TripLines:
    """All cost lines of a trip, with what could not be billed (capped degenerate trips)."""

    trip: Trip
    lines: tuple[CostLine, ...]
    billed_total: Decimal  # the trip cost with actuals applied
    unallocated: Decimal  # billed_total - sum(lines): not zero only when the cap applied
    capped: bool


def billed_items(trip: Trip, actuals: Mapping[str, Decimal] | None = None) -> tuple[CostItem, ...]:
    """The trip's items with recorded actual amounts (item kind -> amount) replacing estimates.

    An actual replaces every estimated item of its kind; when there are several (city and
    suburban distance) it is spread over them in proportion to their estimates, so each keeps
    its line. An actual for a kind the plan did not price becomes an item tagged ``actual``.
    """
    actuals = dict(actuals or {})
    unknown = set(actuals) - set(ITEMS)
    if unknown:
        raise CostError(f"unknown cost item(s) {sorted(unknown)}; known: {list(ITEMS)}")
    out: list[CostItem] = [i for i in trip.items if i.item not in actuals]
    for kind, amount in sorted(actuals.items()):
        estimated = [i for i in trip.items if i.item == kind]
        if not estimated:
            out.append(CostItem(kind, "actual", Decimal(1), None, money(amount)))
            continue
        parts = largest_remainder(
            to_cents(money(amount), f"actual {kind}"),
            {i.key: to_cents(i.amount) for i in estimated},
        )
        out.extend(
            CostItem(i.item, i.tag, i.quantity, None, from_cents(parts[i.key])) for i in estimated
        )
    return tuple(sorted(out, key=lambda i: (ITEMS.index(i.item), i.tag)))


def _split(trip: Trip, items: tuple[CostItem, ...], method: str, cap: bool):
    total = sum((i.amount for i in items), Decimal("0.00"))
    caps = dict(trip.caps) if trip.journey_billed else None
    allocation = allocate(total, dict(trip.standalone), method, cap=cap, caps=caps)
    billed = sum((a for _, a in allocation.amounts), Decimal("0.00"))
    columns = {i.key: i.amount for i in items}
    if allocation.capped:  # bill only the capped sum, spread over the items pro rata
        cents = largest_remainder(to_cents(billed), {k: to_cents(v) for k, v in columns.items()})
        columns = {k: from_cents(v) for k, v in cents.items()}
    return allocation, split_items(dict(allocation.amounts), columns)


def trip_lines(
    trip: Trip,
    method: str = PROPORTIONAL_STANDALONE,
    actuals: Mapping[str, Decimal] | None = None,
) -> TripLines:
    """Split `trip` into cost lines per customer and item; promises of
    :mod:`scheduling.allocation` hold for the billed amounts of each trip.

    With `actuals`, lines bill the actual amounts (basis ``actual`` on the replaced items)
    and keep the estimate beside them; the stand-alone cap applies to estimates only, since
    the stand-alone trip's actual price is unknown.

    A day of a journey without visits, or one its own customers cannot carry
    (:attr:`Trip.journey_billed`), is split over the journey's customers with ``journey_`` +
    `method` (weights: stand-alone journey costs, ceilings: `trip.caps`); with no customer
    on the journey, nothing is billed and the whole cost is `unallocated`.
    """
    if trip.journey_billed:
        method = JOURNEY_METHODS.get(method, method)
        if not trip.customers:
            billed_total = sum((i.amount for i in billed_items(trip, actuals)), Decimal("0.00"))
            return TripLines(trip, (), billed_total, billed_total, capped=True)
    estimate_items = trip.items
    allocation, estimate_cells = _split(trip, estimate_items, method, cap=True)
    billed = billed_items(trip, actuals) if actuals else estimate_items
    if actuals:
        allocation, billed_cells = _split(trip, billed, method, cap=False)
    else:
        billed_cells = estimate_cells
    actual_kinds = set(actuals or {})
    shares = dict(allocation.shares)
    by_key = {i.key: i for i in billed} | {i.key: i for i in estimate_items}
    lines = []
    for customer_id in trip.customers:
        for key in sorted(by_key, key=lambda k: (ITEMS.index(by_key[k].item), by_key[k].tag)):
            item = by_key[key]
            amount = billed_cells.get((customer_id, key), Decimal("0.00"))
            estimate = estimate_cells.get((customer_id, key), Decimal("0.00"))
            if amount == 0 and estimate == 0:
                continue
            lines.append(
                CostLine(
                    line_key=f"{trip.trip_id}/{customer_id}/{key}",
                    trip_id=trip.trip_id,
                    customer_id=customer_id,
                    request_refs=trip.requests_of(customer_id),
                    day=trip.day,
                    engineer_id=trip.engineer_id,
                    item=item.item,
                    tag=item.tag,
                    quantity=item.quantity,
                    unit_rate=None if item.item in actual_kinds else item.unit_rate,
                    amount=amount,
                    estimate=estimate,
                    currency=trip.currency,
                    basis="actual" if item.item in actual_kinds else "estimate",
                    method=allocation.method,
                    share=shares[customer_id],
                )
            )
    billed_total = sum((i.amount for i in billed), Decimal("0.00"))
    return TripLines(
        trip=trip,
        lines=tuple(lines),
        billed_total=billed_total,
        unallocated=billed_total - sum((line.amount for line in lines), Decimal("0.00")),
        capped=allocation.capped,
    )
