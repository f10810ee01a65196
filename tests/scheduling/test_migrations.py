"""Migrations: the Alembic scripts build exactly the models' schema on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from scheduling.store.all_models import metadata
from scheduling.store.db import (
    DatabaseNotReady,
    alembic_config,
    current_revision,
    database_url,
    downgrade,
    ensure_database,
    head_revision,
    make_engine,
    open_database,
    upgrade,
)


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(fresh_db_url):
    """From empty to head, back to nothing, and to head again, on both backends."""
    engine = make_engine(fresh_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == _head()
        assert _tables(engine) == set(metadata.tables)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert _tables(engine) == set()
        upgrade(engine)
        assert _tables(engine) == set(metadata.tables)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(fresh_db_url):
    """Autogenerate finds nothing to do after upgrade head: migrations and models agree."""
    engine = make_engine(fresh_db_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_first_revision_is_0001():
    """Other migrations chain on the initial revision id "0001"."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_revision("0001").down_revision is None


def test_ensure_database_is_idempotent(tmp_path):
    """The embedded default migrates a new SQLite file, and a second call is harmless."""
    url = f"sqlite:///{tmp_path / 'nested' / 'fp.sqlite'}"
    ensure_database(url).dispose()
    engine = ensure_database(url)
    try:
        assert current_revision(engine) == _head()
    finally:
        engine.dispose()


def test_database_url_precedence(monkeypatch):
    """An explicit URL wins over FIELDPLAN_DATABASE_URL, which wins over SQLite in var/."""
    monkeypatch.setenv("FIELDPLAN_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"
    assert database_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("FIELDPLAN_DATABASE_URL")
    default = database_url()
    assert default.startswith("sqlite:///") and default.endswith("var/fieldplan.sqlite")


def test_open_database_migrates_sqlite_but_asks_for_upgrade_on_a_server(fresh_db_url):
    """A SQLite file is migrated on the spot; a server database behind head is refused."""
    if make_url(fresh_db_url).get_backend_name() == "sqlite":
        engine = open_database(fresh_db_url)
    else:
        with pytest.raises(DatabaseNotReady, match="fieldplan db upgrade"):
            open_database(fresh_db_url)
        upgrade(fresh_db_url)
        engine = open_database(fresh_db_url)
    try:
        assert current_revision(engine) == head_revision() == _head()
    finally:
        engine.dispose()


def test_concurrent_first_starts_migrate_once(fresh_db_url):
    """Several processes opening a new database at once all end at head, none fails."""

    def open_and_read(_):
        engine = ensure_database(fresh_db_url)
        try:
            return current_revision(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(open_and_read, range(4))) == {_head()}
