"""INSERT ... ON CONFLICT DO NOTHING for both dialects: the primitive behind every claim."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> int | None:
    """Insert a row unless one with the same unique key exists.

    Returns the new row's id, or None when the key was already taken — by this process
    earlier or by another one a moment ago. The database decides, not timing.
    """
    dialect = session.bind.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c.id)
    )
    result = await session.execute(statement)
    return result.scalar_one_or_none()


async def insert_many_ignore(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Insert many rows in one statement, skipping those whose unique key is taken.

    Returns the ``returning`` columns of the rows actually inserted.
    """
    if not rows:
        return []
    dialect = session.bind.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    # Rows as executemany parameters: one cached statement, which SQLAlchemy sends in
    # batches ("insertmanyvalues"), RETURNING included, on both dialects.
    statement = (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*(table.c[name] for name in returning))
    )
    result = await session.execute(statement, list(rows))
    return [tuple(row) for row in result]


async def upsert(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> None:
    """Insert the row, or update its other columns when its key exists (both dialects)."""
    dialect = session.bind.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values)
    changed = {k: statement.excluded[k] for k in values if k not in conflict_columns}
    await session.execute(
        statement.on_conflict_do_update(index_elements=list(conflict_columns), set_=changed)
    )
