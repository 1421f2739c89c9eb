"""Fixtures shared by every test: a clean, migrated database per test.

The backend is chosen by MLQ_TEST_DATABASE_URL: unset means SQLite files; set it to a
PostgreSQL URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) to run the same
suite there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import normalise_url
from storage.migrate import upgrade_sync

PG_URL = os.environ.get("MLQ_TEST_DATABASE_URL", "").strip()


def backend_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path | str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL database itself."""
    if PG_URL:
        url = normalise_url(PG_URL)
        _reset_postgres_schema_sync(url)
        upgrade_sync(url)
        return url
    template = tmp_path_factory.mktemp("db") / "template.db"
    upgrade_sync(f"sqlite+aiosqlite:///{template}")
    return template


def _reset_postgres_schema_sync(url: str) -> None:
    import asyncio

    async def reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


async def _truncate_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            )
            .scalars()
            .all()
        )
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def db_url(_migrated_template: Path | str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database for this test."""
    if isinstance(_migrated_template, str):
        await _truncate_postgres(_migrated_template)
        yield _migrated_template
        return
    path = tmp_path / "mlq.db"
    shutil.copyfile(_migrated_template, path)
    yield f"sqlite+aiosqlite:///{path}"
