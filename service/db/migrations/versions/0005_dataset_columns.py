"""Tables: the datasets' column kinds, impute strategy, parser notes and ignored columns."""

import sqlalchemy as sa

from service.db.migration_ops import add_columns, drop_columns

revision = "0005"
down_revision = "0004"
NEW = ("columns", "impute", "notes", "ignored")


def upgrade() -> None:
    add_columns(
        "datasets",
        *(sa.Column(name, sa.String(10) if name == "impute" else sa.JSON()) for name in NEW),
    )


def downgrade() -> None:
    drop_columns("datasets", *reversed(NEW))
