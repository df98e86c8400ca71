"""monthly download counts imported for the trend models

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00

Two new tables (``download_datasets``, ``download_counts``); nothing else changes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'download_datasets',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('source_file', sa.String(length=512), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'download_counts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('dataset_id', sa.String(length=32), nullable=False),
        sa.Column('app_id', sa.String(length=128), nullable=False),
        sa.Column('source_app', sa.String(length=256), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('store', sa.String(length=16), nullable=True),
        sa.Column('downloads', sa.Float(), nullable=False),
        sa.Column('exposure', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['dataset_id'], ['download_datasets.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_download_counts_dataset_app', 'download_counts',
                    ['dataset_id', 'app_id'])


def downgrade() -> None:
    op.drop_index('ix_download_counts_dataset_app', table_name='download_counts')
    op.drop_table('download_counts')
    op.drop_table('download_datasets')
