"""Which of a hotline's quarters are closed to edits: approved (locked) or submitted (awaiting
review). The one rule every write of figures asks: the grid, the API, the importer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.batching import Batch
from coordapp.stats.models import HotlineQuarter, QuarterState

CLOSED_STATES = (QuarterState.SUBMITTED, QuarterState.APPROVED)


def closed_quarters(
    session: Session, *, hotline_id: int, starts: Iterable[date], batch: Batch | None = None
) -> dict[date, QuarterState]:
    """The quarters among ``starts`` (first days) that take no edits, with their state."""
    wanted = set(starts)
    if batch is not None:
        # A state cannot move during an import: every closed quarter is read once per file.
        every = batching.remembered(batch, "quarters", "closed", lambda: _all_closed(session))
        return {
            start: state
            for (hotline, start), state in (every or {}).items()
            if hotline == hotline_id and start in wanted
        }
    rows = session.execute(
        sa.select(HotlineQuarter.period_start, HotlineQuarter.state).where(
            HotlineQuarter.hotline_id == hotline_id,
            HotlineQuarter.period_start.in_(wanted),
            HotlineQuarter.state.in_([s.value for s in CLOSED_STATES]),
        )
    )
    return {start: QuarterState(state) for start, state in rows}


def _all_closed(session: Session) -> dict[tuple[int, date], QuarterState]:
    rows = session.execute(
        sa.select(
            HotlineQuarter.hotline_id, HotlineQuarter.period_start, HotlineQuarter.state
        ).where(HotlineQuarter.state.in_([s.value for s in CLOSED_STATES]))
    )
    return {(hotline, start): QuarterState(state) for hotline, start, state in rows}


def closed_message(label: str, state: QuarterState) -> str:
    """Why a quarter's figures cannot change, and who can open it again."""
    if state == QuarterState.APPROVED:
        return f"{label} is approved and locked: only a manager can reopen it, with a reason."
    return f"{label} is submitted and awaits review: it can change once a manager returns it."
