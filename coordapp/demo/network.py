"""Demo hotlines with their membership history, partnerships and the expansion pipeline."""

from __future__ import annotations

from datetime import date, timedelta

from coordapp.demo import data
from coordapp.demo.context import DemoContext, slug
from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineCoverage,
    HotlineMembershipEvent,
    MembershipStatus,
    Priority,
)
from coordapp.partners.models import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)


def _parse_history(spec: str) -> list[tuple[date, str, str | None]]:
    """``"YYYY-MM-DD status[: note]; ..."`` -> [(date, status, note)], checked to be in order."""
    rows = []
    for part in spec.split(";"):
        head, _, note = part.strip().partition(":")
        day, status = head.split()
        rows.append((date.fromisoformat(day), status, note.strip() or None))
    if [r[0] for r in rows] != sorted(r[0] for r in rows):
        raise ValueError(f"History out of order: {spec}")
    return rows


def _relative_day(spec: str | int | None, today: date) -> date | None:
    if spec is None:
        return None
    if isinstance(spec, int):
        return today + timedelta(days=spec)
    return date.fromisoformat(spec)


def add_hotlines(ctx: DemoContext) -> None:
    objects: list[object] = []
    for spec in data.HOTLINES:
        history = [row for row in _parse_history(spec.events) if row[0] <= ctx.today]
        if not history:
            continue  # applies only after ``today``
        withdrawn = history[-1][1] == MembershipStatus.WITHDRAWN
        operator = Organization(
            name=spec.operator,
            kind=OrganizationKind.HOTLINE_OPERATOR,
            status=OrganizationStatus.INACTIVE if withdrawn else OrganizationStatus.ACTIVE,
            hq_country_code=spec.country,
            website=f"https://operator-{spec.key}.example.org",
            tags="hotline-operator",
        )
        hotline = Hotline(
            name=spec.name,
            operator=operator,
            country_code=spec.country,
            public_url=f"https://report-{spec.key}.example.org",
            founded_year=spec.founded,
            languages=spec.languages,
            reporting_channels=spec.channels,
            staff_count=spec.staff,
            notes=data.HOTLINE_NOTES.get(spec.key),
            # Covered from the first admission, as the migration dates existing coverage.
            coverage_spells=[
                HotlineCoverage(
                    country=ctx.countries[code],
                    covered_from=min(
                        (day for day, status, _ in history if status in COVERING_STATUSES),
                        default=None,
                    ),
                )
                for code in (spec.country, *spec.also_covers.split())
            ],
            membership_events=[
                HotlineMembershipEvent(event_date=day, status=MembershipStatus(status), note=note)
                for day, status, note in history
            ],
        )
        ctx.orgs[operator.name] = operator
        ctx.hotlines[spec.key] = hotline
        ctx.membership[spec.key] = [(day, MembershipStatus(status)) for day, status, _ in history]
        ctx.counts["hotline_membership_events"] += len(history)
        objects.extend((operator, hotline))
    ctx.session.add_all(objects)
    ctx.counts["organizations"] += len(objects) // 2
    ctx.counts["hotlines"] += len(objects) // 2


_PARTNERSHIP_NOTES = {
    PartnershipStatus.NEGOTIATING: "Draft agreement under review by both legal teams.",
    PartnershipStatus.PROSPECT: "First exploratory call held; interest confirmed.",
    PartnershipStatus.LAPSED: "Not renewed after the end date.",
    PartnershipStatus.ENDED: "Completed as agreed; final report received.",
}


def add_partnerships(ctx: DemoContext) -> None:
    rows: list[object] = []
    for org, title, kind, status_value, start, end, notice, pillars, owner in data.PARTNERSHIPS:
        status = PartnershipStatus(status_value)
        start_date = _relative_day(start, ctx.today)
        end_date = _relative_day(end, ctx.today)
        if start_date and start_date > ctx.today:
            continue  # agreed only after ``today``
        if start_date and end_date and end_date < start_date:
            end_date = start_date
        notes = _PARTNERSHIP_NOTES.get(status)
        if status == PartnershipStatus.ACTIVE and end_date and end_date < ctx.today:
            notes = "End date passed; renewal signature pending."
        documents = None
        if start_date is not None:
            documents = (
                f"https://docs.example.org/agreements/{slug(title, 4)}-{start_date.year}.pdf"
            )
        partnership = Partnership(
            organization=ctx.orgs[org],
            title=title,
            type=PartnershipType(kind),
            status=status,
            start_date=start_date,
            end_date=end_date,
            renewal_notice_days=notice,
            owner=ctx.users[owner],
            notes=notes,
            document_refs=documents,
            pillars=[ctx.pillars[code] for code in pillars],
        )
        if partnership.type == PartnershipType.FUNDING and status in (
            PartnershipStatus.ACTIVE,
            PartnershipStatus.LAPSED,
            PartnershipStatus.ENDED,
        ):
            ctx.funding_partnerships.setdefault(org, partnership)
        rows.append(partnership)
    ctx.add_all("partnerships", rows)


def add_expansion_targets(ctx: DemoContext) -> None:
    rows: list[object] = []
    for country, priority, owner_key, history, next_step, due_in, notes in data.EXPANSION_TARGETS:
        events = [row for row in _parse_history(history) if row[0] <= ctx.today]
        if not events:
            continue
        owner = ctx.users[owner_key]
        # The hotline set up in the country, once it has applied.
        hotline = next(
            (
                h
                for key, h in ctx.hotlines.items()
                if h.country_code == country and ctx.membership.get(key)
            ),
            None,
        )
        rows.append(
            ExpansionTarget(
                country_code=country,
                priority=Priority(priority),
                owner=owner,
                hotline=hotline,
                next_step=next_step,
                next_step_due=ctx.today + timedelta(days=due_in),
                notes=notes,
                stage_events=[
                    ExpansionStageEvent(
                        stage=ExpansionStage(stage), entered_on=day, note=note, actor_id=owner.id
                    )
                    for day, stage, note in events
                ],
            )
        )
        ctx.counts["expansion_stage_events"] += len(events)
    ctx.add_all("expansion_targets", rows)
