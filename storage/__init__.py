"""Persistence: SQLAlchemy models, the repository, migrations and the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage.db import Database
from storage.repository import Repository

__all__ = ["Database", "Repository", "unit_of_work"]


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[Repository]:
    """A repository over one transaction: committed if the block succeeds, else rolled back."""
    async with db.session() as session:
        yield Repository(session)
