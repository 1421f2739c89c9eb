"""Engine and transactions. SQLite gets WAL, a busy timeout and write-locking transactions."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened at all: no server there, no such database, refused
    credentials, a SQLite folder that does not exist. Its text is the one line ``mlq``
    prints (the password hidden), since a traceback says nothing more to the person."""

    def __init__(self, url: str, exc: BaseException) -> None:
        cause = getattr(exc, "orig", None) or exc  # the driver's words, not SQLAlchemy's
        reason = " ".join(str(cause).split()) or type(cause).__name__
        shown = make_url(url).render_as_string(hide_password=True)
        super().__init__(f"mlq: cannot open the database {shown}: {reason}; check MLQ_DATABASE_URL")


async def check_reachable(engine: AsyncEngine, url: str) -> None:
    """Open one connection, or raise ``DatabaseUnavailable``."""
    parsed = make_url(url)
    database = parsed.database
    plain_file = database and not database.startswith(":") and "uri" not in parsed.query
    if engine.dialect.name == "sqlite" and plain_file:
        # Tried first without aiosqlite: its worker thread, when the connection fails,
        # reports to an event loop that is closed by then and prints a traceback of its own.
        try:
            sqlite3.connect(database).close()
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(url, exc) from exc
    try:
        async with engine.connect():
            pass
    except (DBAPIError, OSError, TimeoutError) as exc:
        raise DatabaseUnavailable(url, exc) from exc


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: AsyncEngine, *, begin: str = "BEGIN IMMEDIATE") -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front: two bot processes then queue on the busy
        # timeout instead of failing when a read transaction tries to become a write one.
        # Readers begin deferred: in WAL mode they never wait for a writer.
        connection.exec_driver_sql(begin)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._read_engine = self.engine
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            self._read_engine = create_async_engine(self.url, **kwargs)
            _configure_sqlite(self._read_engine, begin="BEGIN")
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self._read_engine, expire_on_commit=False)
        self._write_lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error."""
        if not self.is_sqlite:
            async with self._sessions() as session, session.begin():
                yield session
            return
        # SQLite admits one writer. Writers of this process queue here, where the next one
        # starts the moment the lock is free, rather than in SQLite's busy handler, which
        # polls with sleeps of up to 100 ms; other processes still meet the busy timeout.
        async with self._sqlite_write_lock(), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction: on SQLite it takes no write lock and waits for no writer.
        Nothing may be written in it."""
        async with self._read_sessions() as session:
            yield session  # closing the session rolls the read transaction back

    def _sqlite_write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._lock_loop is not loop:
            self._write_lock, self._lock_loop = asyncio.Lock(), loop
        return self._write_lock

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
