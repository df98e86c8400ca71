"""store observation on each measurement, scope of store absences, failure and access
level of reclassifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00

Every new column is nullable and no existing row is rewritten: rows measured before this
revision keep NULL, which the export reads as documented in docs/analysis.md and
docs/data-dictionary.md.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_result', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('store_rule_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('store_detail', sa.Text(), nullable=True))
    with op.batch_alter_table('store_checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('scope_detail', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reference', sa.Boolean(), nullable=True))
    with op.batch_alter_table('reclassifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('access_level', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reclassifications', schema=None) as batch_op:
        batch_op.drop_column('access_level')
        batch_op.drop_column('failure')
    with op.batch_alter_table('store_checks', schema=None) as batch_op:
        batch_op.drop_column('reference')
        batch_op.drop_column('scope_detail')
        batch_op.drop_column('scope')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_column('store_detail')
        batch_op.drop_column('store_rule_id')
        batch_op.drop_column('store_result')
