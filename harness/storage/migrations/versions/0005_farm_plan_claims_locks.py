"""a run's plan, instance claims, job locks; the Grid node and retry of a measurement;
each artifact's URL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:00:00

Three new tables (``run_plan``, ``instance_claims``, ``job_locks``) and nullable columns
only: rows written before this revision keep NULL (no node, no retry, a file beside the
database).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'run_plan',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('run_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.String(length=128), nullable=False),
        sa.Column('profile_id', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('measurement_id', sa.String(length=32), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['runs.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('run_id', 'scenario_id', 'profile_id',
                            name='uq_run_plan_instance'),
    )
    op.create_index('ix_run_plan_run_state', 'run_plan', ['run_id', 'state'])
    op.create_table(
        'instance_claims',
        sa.Column('scenario_id', sa.String(length=128), nullable=False),
        sa.Column('profile_id', sa.String(length=64), nullable=False),
        sa.Column('backend', sa.String(length=16), nullable=False),
        sa.Column('run_id', sa.String(length=32), nullable=False),
        sa.Column('hostname', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('scenario_id', 'profile_id', 'backend',
                                name='pk_instance_claims'),
    )
    op.create_table(
        'job_locks',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('run_id', sa.String(length=32), nullable=True),
        sa.Column('hostname', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('node', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('retry_of', sa.String(length=32), nullable=True))
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=1024), nullable=True))


def downgrade() -> None:
    op.drop_table('job_locks')
    op.drop_table('instance_claims')
    op.drop_index('ix_run_plan_run_state', table_name='run_plan')
    op.drop_table('run_plan')
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.drop_column('url')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_column('retry_of')
        batch_op.drop_column('node')
