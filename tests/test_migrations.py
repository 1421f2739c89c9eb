"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Base


async def test_migrated_database_matches_the_models(db_url: str):
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    # Tables that other libraries own (Slack's OAuth stores) are not ours to compare.
    ours = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("slack_"))]
    assert ours == []
