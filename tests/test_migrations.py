"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import owned_by_mlq
from storage.models import Base


async def test_migrated_database_matches_the_models(db_url: str):
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_object": owned_by_mlq}),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == []
