"""Replicas started together on a fresh database all come up: migrations take a lock.

Real processes, not threads: the race is between two copies of the bot, each with its own
connection. Every child imports everything first and reports ready; only then are they all
released at once (a barrier, not a sleep), so their migrations overlap as much as possible.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import normalise_url
from tests.conftest import PG_URL

REPLICAS = 4
ROOT = Path(__file__).resolve().parent.parent

# What every copy does at start: migrate, then (Slack with OAuth) create slack-sdk's tables.
CHILD = """
import asyncio, sys
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import create_async_engine
from storage.migrate import create_tables_locked, upgrade_sync
url = sys.argv[1]
engine = create_async_engine(url)
store = AsyncSQLAlchemyInstallationStore(client_id="1", engine=engine)
states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
print("ready", flush=True)
sys.stdin.readline()  # the barrier: go when the parent says so
upgrade_sync(url)
asyncio.run(create_tables_locked(url, (store.metadata, states.metadata)))
"""


def _admin(url: str, statement: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated: a new SQLite file, or a new PostgreSQL database
    next to the test one (created and dropped here)."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    base = make_url(normalise_url(PG_URL))
    name = f"{base.database}_migrate_{uuid.uuid4().hex[:8]}"
    _admin(base.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(
            base.render_as_string(hide_password=False),
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        )


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_replicas_migrating_a_fresh_database_at_once_all_succeed(fresh_url: str):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, fresh_url],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for child in children:  # release them all together
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    failures = [err for child, (_, err) in zip(children, results, strict=True) if child.returncode]
    assert failures == [], failures[0][-2000:]
    tables = _tables(fresh_url)
    assert {"alembic_version", "answer", "inbox_event"} <= tables
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables
