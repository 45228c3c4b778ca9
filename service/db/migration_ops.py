"""Small helpers the Alembic migrations share (SQLite needs batch mode to alter tables)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def add_columns(table: str, *columns: sa.Column) -> None:
    """ALTER TABLE `table` ADD each column (batch mode, so SQLite works too)."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(column)


def drop_columns(table: str, *names: str) -> None:
    """ALTER TABLE `table` DROP each named column."""
    with op.batch_alter_table(table) as batch:
        for name in names:
            batch.drop_column(name)
