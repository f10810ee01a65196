"""fieldplan domain library: policy, calendars, deadlines, entitlement, planner, costs.

No Prefect import anywhere in this package: it is testable alone.
"""
