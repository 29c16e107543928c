"""Which weekly digests have been sent: one row per user and ISO week, so that the command,
run again in the same week (a retry, a second timer), sends nobody a second digest."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.db import Base, utcnow


class DigestDelivery(Base):
    __tablename__ = "digest_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "week_start"),
        sa.CheckConstraint("item_count >= 0", name="item_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # The Monday of the ISO week the digest was for.
    week_start: Mapped[date] = mapped_column(nullable=False)
    sent_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    # How many items it listed (for the operator; the items themselves are not kept).
    item_count: Mapped[int] = mapped_column(nullable=False)
