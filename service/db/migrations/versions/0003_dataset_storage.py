"""Datasets stored as memory-mappable files: the storage column."""

import sqlalchemy as sa

from service.db.migration_ops import add_columns, drop_columns

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    add_columns(
        "datasets", sa.Column("storage", sa.String(10), server_default="db", nullable=False)
    )


def downgrade() -> None:
    drop_columns("datasets", "storage")
