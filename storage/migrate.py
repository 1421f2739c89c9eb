"""Apply Alembic migrations from code: at start-up and via ``mlq db upgrade``.

Every copy of the bot migrates at start, so two replicas started together on a fresh
database would both try to create the same tables. The whole upgrade therefore runs under
a lock that works across processes, and the second copy waits for the first, then finds
nothing left to do:

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) on the migration's own
  connection, released when the upgrade ends or the connection drops (a killed process
  cannot leave it held);
- SQLite: the whole upgrade is one ``BEGIN EXCLUSIVE`` transaction (SQLite's DDL is
  transactional), which other processes wait for on the busy timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import check_reachable, normalise_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed 64-bit number, the same in every copy of mlq: the advisory lock's name.
PG_MIGRATION_LOCK = 0x6D6C_715F_6D69_6772  # "mlq_migr"
# How long a copy waits for another's migration on SQLite before giving up; generous,
# since a migration that rebuilds a big table can take a while.
SQLITE_MIGRATION_WAIT_SECONDS = 600.0


def owned_by_mlq(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object: slack-sdk creates and owns its OAuth tables (slack_*)
    and their indexes, so autogenerate and the schema test leave them be."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (reflected and compare_to is None and (table or "").startswith("slack_"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % specially; URLs may contain escaped passwords.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def _migration_engine(url: str) -> AsyncEngine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_async_engine(url)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_MIGRATION_WAIT_SECONDS})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the driver, begins transactions, so the DDL is inside ours.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Exclusive from the first statement: a second process waits here, on the busy
        # timeout, rather than failing halfway with "table already exists".
        connection.exec_driver_sql("BEGIN EXCLUSIVE")

    return engine


async def run_locked(url: str, work: Callable[[Connection], None]) -> None:
    """Run ``work`` on a connection while holding the migration lock, and commit."""
    engine = _migration_engine(url)
    try:
        await check_reachable(engine, url)  # the first touch at start: say so in one line
        async with engine.connect() as conn:
            is_postgres = conn.dialect.name == "postgresql"
            if is_postgres:
                await conn.execute(
                    text("SELECT pg_advisory_lock(:key)"), {"key": PG_MIGRATION_LOCK}
                )
                await conn.commit()  # the lock belongs to the session, not the transaction
            try:
                # Begun here, not by Alembic: on SQLite Alembic would otherwise commit after
                # each migration (no transactional DDL assumed), letting another copy in
                # between two of them with a stale idea of the version.
                await conn.begin()
                await conn.run_sync(work)
                await conn.commit()
            finally:
                if is_postgres:
                    await conn.rollback()
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": PG_MIGRATION_LOCK}
                    )
                    await conn.commit()
    finally:
        await engine.dispose()


async def upgrade_locked(url: str, revision: str = "head") -> None:
    """Upgrade to ``revision`` while holding the migration lock."""
    config = alembic_config(url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection  # env.py migrates on this connection
        command.upgrade(config, revision)

    await run_locked(url, run)


async def create_tables_locked(url: str, metadatas: Iterable[MetaData]) -> None:
    """Create the missing tables of ``metadatas`` (slack-sdk's OAuth stores) under the
    migration lock: their own ``create_tables`` checks, then creates, and two copies
    starting together would both create."""

    def run(connection: Connection) -> None:
        for metadata in metadatas:
            metadata.create_all(connection)

    await run_locked(url, run)


def upgrade_sync(url: str, revision: str = "head") -> None:
    asyncio.run(upgrade_locked(url, revision))


async def upgrade(url: str, revision: str = "head") -> None:
    """Run in a worker thread: Alembic is synchronous and keeps to its own event loop."""
    await asyncio.to_thread(upgrade_sync, url, revision)
