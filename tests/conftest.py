"""Database fixtures for the whole suite: every database test runs on SQLite and PostgreSQL.

`db_url` is parametrized over both backends. PostgreSQL is a throwaway database
`fieldplan_test_<random>` on 127.0.0.1:5432 (user postgres; `FIELDPLAN_TEST_POSTGRES_URL`
points elsewhere), created once per session and dropped at the end. When the server cannot
be reached the PostgreSQL half is skipped with the reason, except in CI (`CI` set), where it
fails: CI promises both backends.

`engine` is migrated once per backend (Alembic, to head) and emptied before each test, which
is much faster than rebuilding the schema. `fresh_db_url` gives an empty, never-migrated
database for the migration tests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ENV = "FIELDPLAN_TEST_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_UNREACHABLE: list[str] = []  # remembered, so a down server costs one timeout, not one per test


def _server_url():
    """The PostgreSQL server to create test databases on (its `postgres` database)."""
    url = make_url(os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES)
    return url.set(drivername="postgresql+psycopg")


def _admin_connect():
    """An autocommit psycopg connection to the server, or pytest.fail/skip with the reason."""
    import psycopg

    url = _server_url()
    if _UNREACHABLE:
        _give_up(_UNREACHABLE[0])
    try:
        return psycopg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as exc:
        where = url.render_as_string(hide_password=True)
        _UNREACHABLE.append(f"PostgreSQL unreachable at {where} ({exc})".strip())
        _give_up(_UNREACHABLE[0])


def _give_up(message: str):
    """Fail in CI (both backends are promised there), skip elsewhere; with the reason."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run the database tests on PostgreSQL too")
    pytest.skip(f"{message}; set {POSTGRES_ENV} or start the server to run them")


def _create_database() -> str:
    """Create an empty `fieldplan_test_<random>` database; returns its URL."""
    name = f"fieldplan_test_{secrets.token_hex(4)}"
    with _admin_connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return _server_url().set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    name = make_url(url).database
    with _admin_connect() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[list[str]]:
    """Every throwaway PostgreSQL database the session created, dropped at its end."""
    created: list[str] = []
    yield created
    for url in created:
        _drop_database(url)


def _new_database(backend: str, tmp_dir: Path, created: list[str]) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'fieldplan-{secrets.token_hex(4)}.sqlite'}"
    url = _create_database()
    created.append(url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request, tmp_path_factory, _postgres_databases) -> str:
    """URL of a test database migrated to head, one per backend for the whole session."""
    from scheduling.store.db import make_engine, upgrade

    url = _new_database(request.param, tmp_path_factory.mktemp("db"), _postgres_databases)
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def fresh_db_url(request, tmp_path, _postgres_databases) -> str:
    """URL of a new, empty database (no tables, never migrated), on each backend."""
    return _new_database(request.param, tmp_path, _postgres_databases)


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    """Delete every row of every migrated table (the schema stays), restarting id sequences."""
    from scheduling.store.all_models import metadata

    # Only what the migrations created: a model without its migration yet must not break
    # every other test (the migration tests catch it).
    present = set(inspect(engine).get_table_names())
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name in present]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def engine(db_url, _engines) -> Engine:
    """An engine on the backend's test database, every table empty at the start of the test."""
    from scheduling.store.db import make_engine

    if db_url not in _engines:
        _engines[db_url] = make_engine(db_url)
    _empty_all_tables(_engines[db_url])
    return _engines[db_url]


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session on the empty test database; what the test did not commit is rolled back."""
    from scheduling.store.db import session_factory

    with session_factory(engine)() as db_session:
        yield db_session
        db_session.rollback()


@pytest.fixture
def sample_dir() -> Path:
    """The shipped sample data set (`data/sample/`)."""
    return ROOT / "data" / "sample"


@pytest.fixture
def tiny_dir() -> Path:
    """The smallest complete data set (`tests/data/tiny/`), a few rows per file."""
    return ROOT / "tests" / "data" / "tiny"
