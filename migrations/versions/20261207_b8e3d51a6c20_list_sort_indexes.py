"""Indexes for the lists' sorts at 100x: receipts (amount, currency, reference), commitments
(title, currency), statistics (value, updated; (metric_id, id) in place of metric_id);
commitments (status, period_start) in place of (status), for home's unconfirmed pledges

Revision ID: b8e3d51a6c20
Revises: 5d1f0a7b3c92
Create Date: 2026-12-07 11:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "b8e3d51a6c20"
down_revision = "5d1f0a7b3c92"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_funding_commitments_title_id", "funding_commitments", ["title", "id"]),
    ("ix_funding_commitments_currency_code_id", "funding_commitments", ["currency_code", "id"]),
    (
        "ix_funding_commitments_status_period_start",
        "funding_commitments",
        ["status", "period_start"],
    ),
    ("ix_funding_receipts_amount_id", "funding_receipts", ["amount", "id"]),
    ("ix_funding_receipts_currency_code_id", "funding_receipts", ["currency_code", "id"]),
    ("ix_funding_receipts_reference_id", "funding_receipts", ["reference", "id"]),
    ("ix_hotline_statistics_metric_id_id", "hotline_statistics", ["metric_id", "id"]),
    ("ix_hotline_statistics_value_id", "hotline_statistics", ["value", "id"]),
    ("ix_hotline_statistics_updated_at_id", "hotline_statistics", ["updated_at", "id"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.drop_index("ix_funding_commitments_status", table_name="funding_commitments")
    op.drop_index("ix_hotline_statistics_metric_id", table_name="hotline_statistics")


def downgrade():
    op.create_index(
        "ix_hotline_statistics_metric_id", "hotline_statistics", ["metric_id"], unique=False
    )
    op.create_index(
        "ix_funding_commitments_status", "funding_commitments", ["status"], unique=False
    )
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
