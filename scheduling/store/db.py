"""Where the database is and how to reach it: URL, engine, sessions and migrations.

The embedded default is a SQLite file under the checkout's `var/`; `FIELDPLAN_DATABASE_URL`
(or an explicit URL) selects another database, e.g. PostgreSQL in production. Migrations are
Alembic scripts shipped inside the package, applied programmatically (no alembic.ini needed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL_ENV = "FIELDPLAN_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _var_dir() -> Path:
    """The checkout's `var/` when running from a checkout, else `./var` of the caller."""
    checkout = Path(__file__).resolve().parents[2]
    root = checkout if (checkout / "pyproject.toml").exists() else Path.cwd()
    return root / "var"


def database_url(url: str | None = None) -> str:
    """The URL to use: `url`, else $FIELDPLAN_DATABASE_URL, else SQLite in `var/` (created)."""
    if url:
        return url
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        return from_env
    var = _var_dir()
    var.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var / 'fieldplan.sqlite'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, per connection; WAL lets readers (the CLI,
    # a report) work while a flow writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _use_wal(engine: Engine) -> None:
    """Switch the file to WAL journaling once (the mode is stored in the file)."""
    with engine.connect() as connection:
        if connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
            return
        # Another process may hold the file right now (e.g. migrating it) and SQLite does
        # not wait for this pragma. WAL is an optimisation: the next engine will set it.
        with suppress(OperationalError):
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def make_engine(url: str | None = None) -> Engine:
    """An engine for `database_url(url)`; SQLite files get foreign keys on and WAL journaling."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() == "sqlite":
        if resolved.database and resolved.database != ":memory:":
            Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if resolved.database and resolved.database != ":memory:":
            _use_wal(engine)
        return engine
    return create_engine(resolved, pool_pre_ping=True)


def alembic_config(engine_or_url: Engine | str | None = None):
    """An Alembic `Config` built in code, pointing at the migrations shipped in the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if isinstance(engine_or_url, Engine):
        url = engine_or_url.url.render_as_string(hide_password=False)
    else:
        url = database_url(engine_or_url)
    # ConfigParser treats % as interpolation; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any constant shared by every fieldplan process: the key of the migration lock.
_MIGRATION_LOCK = 0x6669656C64706C61  # "fieldpla"


def _lock_for_migration(connection) -> None:
    """Serialize migrations between processes: two flows starting together on a new database
    must not both create the tables. The lock ends with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the database's write lock, now


def _run(engine_or_url: Engine | str | None, action) -> None:
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            _lock_for_migration(connection)
            config.attributes["connection"] = connection
            action(config)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def upgrade(url_or_engine: Engine | str | None = None, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (default: the newest) to the database.

    Safe to call from several processes at once; a database already at head costs one read.
    """
    from alembic import command

    if revision == "head" and current_revision(url_or_engine) == head_revision():
        return
    _run(url_or_engine, lambda config: command.upgrade(config, revision))


def downgrade(url_or_engine: Engine | str | None = None, revision: str = "base") -> None:
    """Undo migrations down to `revision` (default: an empty database)."""
    from alembic import command

    _run(url_or_engine, lambda config: command.downgrade(config, revision))


def current_revision(url_or_engine: Engine | str | None = None) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if engine is not url_or_engine:
            engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session maker bound to `engine`; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class DatabaseNotReady(RuntimeError):
    """A server database whose schema is not at the newest migration."""


def head_revision() -> str:
    """The newest migration shipped with this version of fieldplan."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def open_database(url: str | None = None) -> Engine:
    """An engine ready for use: SQLite files are migrated on the spot (the embedded default);
    a server database (PostgreSQL) must already be at the newest migration, else
    :class:`DatabaseNotReady` says to run `fieldplan db upgrade` (schema changes there are
    an operator's decision, not a side effect of a command).
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return engine
    found, head = current_revision(engine), head_revision()
    if found != head:
        where = engine.url.render_as_string(hide_password=True)
        engine.dispose()
        raise DatabaseNotReady(
            f"database {where} is at revision {found or 'none'}, this fieldplan needs {head}: "
            "run `fieldplan db upgrade`"
        )
    return engine


def ensure_database(url: str | None = None) -> Engine:
    """An engine on a database migrated to the newest revision (a no-op when it already is).

    For flows and the embedded default; interactive commands use :func:`open_database`.
    """
    engine = make_engine(url)
    upgrade(engine)
    return engine
