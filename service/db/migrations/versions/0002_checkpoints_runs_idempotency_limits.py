"""Checkpoints, runs, idempotency keys, runtime limits and admin keys."""

import sqlalchemy as sa
from alembic import op

from service.db.migration_ops import add_columns, drop_columns

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "job_checkpoints",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrays", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id"),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("resumed_from_epoch", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_runs_job_id"), ["job_id"], unique=False)

    add_columns(
        "api_keys", sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "keep_model_on_cancel", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("max_runtime_seconds", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("runtime_seconds", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            "uq_jobs_tenant_idempotency", ["tenant_id", "idempotency_key"]
        )


def downgrade() -> None:
    drop_columns("api_keys", "is_admin")

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_jobs_tenant_idempotency", type_="unique")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("runtime_seconds")
        batch_op.drop_column("max_runtime_seconds")
        batch_op.drop_column("keep_model_on_cancel")

    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_job_id"))

    op.drop_table("job_runs")
    op.drop_table("job_checkpoints")
