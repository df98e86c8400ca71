"""observed values: scenario verified flag, GPS and device-route observations, step
observations, wider run status

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=32), existing_nullable=False)
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scenario_verified', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('location_set', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('gps_detail', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('device_egress_country', sa.String(length=2),
                                      nullable=True))
        batch_op.add_column(sa.Column('device_egress_match', sa.Boolean(), nullable=True))
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('observations', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.drop_column('observations')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_column('device_egress_match')
        batch_op.drop_column('device_egress_country')
        batch_op.drop_column('gps_detail')
        batch_op.drop_column('location_set')
        batch_op.drop_column('scenario_verified')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=32),
                              type_=sa.String(length=16), existing_nullable=False)
