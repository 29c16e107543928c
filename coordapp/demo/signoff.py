"""The demo hotlines' quarters in sign-off: the history approved, the last year's quarters
submitted (mostly by the deadline) and approved, and the last complete quarter in every state:
approved, awaiting review, returned with a comment, entered but not submitted (late once its
deadline passes), and one earlier quarter reopened for a correction."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from coordapp.demo.context import DemoContext, seeded_random
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, QuarterState
from coordapp.stats.periods import quarter_bounds, quarter_of

RECENT_QUARTERS = 4  # the quarters with a recorded submission (sign-off began a year ago)
RETURN_COMMENTS = (
    "Forwarded reports look high against assessed ones: please check Q{q}.",
    "The removal share is missing a decimal? Please confirm the figure.",
)


def _at(day: date, days: int) -> datetime:
    return datetime.combine(day + timedelta(days=days), time(9, 30))


def add_quarter_signoff(ctx: DemoContext) -> None:
    ctx.session.flush()
    reviewer = ctx.users.get("network")
    keys = {hotline.id: key for key, hotline in ctx.hotlines.items()}
    entered = sorted(
        {
            (hotline_id, quarter_bounds(start.year, quarter_of(start))[0])
            for hotline_id, start in ctx.session.execute(
                sa.select(HotlineStatistic.hotline_id, HotlineStatistic.period_start).distinct()
            )
        }
    )
    starts = sorted({start for _, start in entered})
    recent = set(starts[-RECENT_QUARTERS:])
    last = starts[-1] if starts else None
    rows: list[object] = []
    returned = 0
    for hotline_id, start in entered:
        key = keys.get(hotline_id, str(hotline_id))
        rng = seeded_random("signoff", key, start.isoformat())
        end = quarter_bounds(start.year, quarter_of(start))[1]
        row = HotlineQuarter(hotline_id=hotline_id, period_start=start, period_end=end, version=1)
        if start not in recent:
            row.state = QuarterState.APPROVED  # as the migration approved the history
            row.comment = "Approved when sign-off began: entered by the secretariat."
            rows.append(row)
            continue
        # Mostly within the 30 days, some a few weeks late.
        submitted = min(  # never after the demo's today
            _at(end, rng.choice((8, 12, 19, 24, 28, 29, 33, 41, 55))), _at(ctx.today, -1)
        )
        row.first_submitted_at = row.submitted_at = submitted
        row.decided_by_id = reviewer.id if reviewer else None
        if start != last:
            row.state = QuarterState.APPROVED
            row.decided_at = submitted + timedelta(days=rng.randint(2, 12))
        else:
            pick = rng.random()
            if pick < 0.45:
                row.state = QuarterState.APPROVED
                row.decided_at = submitted + timedelta(days=3)
            elif pick >= 0.85:
                continue  # entered, not submitted: a draft (no row), late after the deadline
            elif pick < 0.75 or returned >= len(RETURN_COMMENTS):
                row.state, row.decided_by_id = QuarterState.SUBMITTED, None
            else:
                row.state = QuarterState.RETURNED
                row.decided_at = submitted + timedelta(days=4)
                row.comment = RETURN_COMMENTS[returned].format(q=quarter_of(start))
                returned += 1
        rows.append(row)
    # One approved quarter reopened for a correction.
    reopen = next(
        (
            r
            for r in rows
            if isinstance(r, HotlineQuarter)
            and r.state == QuarterState.APPROVED
            and r.period_start in recent
            and r.period_start != last
        ),
        None,
    )
    if reopen is not None:
        reopen.state = QuarterState.REOPENED
        reopen.decided_at = (reopen.decided_at or _at(reopen.period_end, 40)) + timedelta(days=30)
        reopen.comment = "The hotline found a double-counted batch: received to be corrected."
    ctx.add_all("hotline_quarters", rows)
