"""The jobs' publish count and the datasets' value range."""

import sqlalchemy as sa

from service.db.migration_ops import add_columns, drop_columns

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    add_columns(
        "jobs", sa.Column("publish_count", sa.Integer(), server_default="0", nullable=False)
    )
    add_columns("datasets", sa.Column("value_range", sa.JSON(), nullable=True))


def downgrade() -> None:
    drop_columns("datasets", "value_range")
    drop_columns("jobs", "publish_count")
