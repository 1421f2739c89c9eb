"""The SQL in model answers runs on PostgreSQL and returns what the answer says.

The answers are written for PostgreSQL (date minus integer, for one), so these checks run
in the PostgreSQL pass of the suite (MLQ_TEST_DATABASE_URL, as .ci/run does) inside a
transaction that is rolled back; the SQLite pass skips them. Each check loads a few rows
whose right result is worked out by hand, runs the answer's query unchanged and compares.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from question_bank import load_bank
from tests.conftest import PG_URL

SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)

TABLES: dict[str, list[str]] = {
    "primary-and-foreign-keys": [
        "CREATE TEMP TABLE customers (id int PRIMARY KEY, name text)",
        "CREATE TEMP TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id))",
        "INSERT INTO customers VALUES (1, 'ada'), (2, 'bob')",
        "INSERT INTO orders VALUES (10, 1), (11, 1)",
    ],
    "sql-top-n-per-group": [
        "CREATE TEMP TABLE orders (order_id int, user_id int, amount numeric, created_at date)",
        "INSERT INTO orders VALUES (1, 1, 5, '2024-01-01'), (2, 1, 6, '2024-01-02'),"
        " (3, 1, 7, '2024-01-03'), (4, 1, 8, '2024-01-03'), (5, 2, 9, '2024-01-01')",
    ],
    "sql-consecutive-days-streak": [
        "CREATE TEMP TABLE logins (user_id int, login_date date)",
        # user 1: three days in a row (with a duplicate); user 2: two, a gap, two.
        "INSERT INTO logins VALUES (1, '2024-03-01'), (1, '2024-03-02'), (1, '2024-03-02'),"
        " (1, '2024-03-03'), (2, '2024-03-01'), (2, '2024-03-02'), (2, '2024-03-04'),"
        " (2, '2024-03-05')",
    ],
    "point-in-time-feature-join-sql": [
        "CREATE TEMP TABLE labels (label_id int, user_id int, event_time timestamp, label int)",
        "CREATE TEMP TABLE features (user_id int, feature_time timestamp, value numeric)",
        "INSERT INTO labels VALUES (1, 7, '2024-01-10', 1), (2, 7, '2024-01-01', 0)",
        "INSERT INTO features VALUES (7, '2024-01-05', 0.5), (7, '2024-01-10', 0.9),"
        " (7, '2024-01-11', 2.0)",
    ],
}

# The rows each query must return, as sorted tuples of the columns named.
EXPECTED: dict[str, tuple[tuple[str, ...], list[tuple]]] = {
    "primary-and-foreign-keys": (("name", "n_orders"), [("ada", 2), ("bob", 0)]),
    "sql-top-n-per-group": (("order_id",), [(2,), (3,), (4,), (5,)]),
    "sql-consecutive-days-streak": (("user_id",), [(1,)]),
    # Label 1 gets the value known strictly before its time (not the one at 01-10);
    # label 2 has no earlier feature and keeps its row with a NULL value.
    "point-in-time-feature-join-sql": (("label_id", "value"), [(1, 0.5), (2, None)]),
}


def sql_blocks() -> dict[str, str]:
    return {q.id: SQL_BLOCK.findall(q.answer)[0] for q in load_bank() if SQL_BLOCK.search(q.answer)}


BLOCKS = sql_blocks()


def test_every_sql_block_has_a_check_and_every_check_a_block() -> None:
    assert sorted(set(BLOCKS) ^ set(EXPECTED)) == []
    assert set(TABLES) == set(EXPECTED)


def _normalise(value: object) -> object:
    return float(value) if value is not None and not isinstance(value, int | str) else value


@pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="the answers are PostgreSQL")
@pytest.mark.parametrize("entry_id", sorted(EXPECTED))
async def test_the_query_returns_what_the_answer_says(entry_id: str) -> None:
    engine = create_async_engine(PG_URL)
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            for statement in TABLES[entry_id]:
                await conn.execute(text(statement))
            result = await conn.execute(text(BLOCKS[entry_id].replace(":", r"\:")))
            columns, want = EXPECTED[entry_id]
            rows = [tuple(_normalise(row._mapping[c]) for c in columns) for row in result]
            await transaction.rollback()
    finally:
        await engine.dispose()
    assert sorted(rows, key=repr) == sorted(want, key=repr)
