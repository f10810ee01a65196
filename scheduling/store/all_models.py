"""Every table on `Base`, imported in one place so Alembic and tests see the whole schema."""

from __future__ import annotations

import importlib
import importlib.util

from scheduling.store import models  # noqa: F401  (registers the tables on Base)
from scheduling.store.base import Base

# Billing tables are added by their own module (cost lines, export batches); import it when
# it is present so the schema and the migrations' autogenerate check cover it too.
if importlib.util.find_spec("scheduling.store.billing_models") is not None:
    importlib.import_module("scheduling.store.billing_models")

metadata = Base.metadata
