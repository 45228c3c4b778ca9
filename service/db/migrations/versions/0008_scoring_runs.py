"""Batch scoring runs: jobs.kind ("train" | "score") and score_chunks (their CSV output)."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"  # main's last revision when this was written


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="train", nullable=False)
        )
    op.create_table(
        "score_chunks",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("csv", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "chunk"),
    )


def downgrade() -> None:
    op.drop_table("score_chunks")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("kind")
