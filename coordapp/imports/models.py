"""Column mappings remembered for files whose headers are not the template's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.db import Base, utcnow


class ImportColumnMapping(Base):
    """How the columns of one header were read, for the next file with the same header.

    Shared by every manager: funders send the same sheet to whoever imports it. Not audited,
    and not a change of the data: written with plain statements that leave the data version
    alone (a mapping is a preference, the import it serves is what the audit log records)."""

    __tablename__ = "import_column_mappings"
    __table_args__ = (sa.UniqueConstraint("import_type", "header_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    # SHA-256 of the normalised header (``coordapp.imports.mapping.header_key``).
    header_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # The file's header as written, and per file column the import column it is read as
    # (a column name, or "ignore").
    header: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    columns: Mapped[list[Any]] = mapped_column(sa.JSON, nullable=False)
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
