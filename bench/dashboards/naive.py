"""The naive baseline: on every call, load the rows the figure needs into pandas and aggregate
there, as a data team would write it: what a plain WHERE can filter (archived rows, the years
shown, the metric) is filtered in SQL, everything else (latest status, conversion, grouping)
is done in pandas. Each function returns the figure's key numbers, which the runner compares
with the service's (so both do the same work)."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from coordapp.funding.conversion import PIVOT

RANK = {"applicant": 0, "provisional": 1, "full": 2, "suspended": 3, "withdrawn": 4}
COVERING = ("provisional", "full")


def _read(session: Session, sql: str) -> pd.DataFrame:
    return pd.read_sql_query(sql, session.connection())


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def _status_on(events: pd.DataFrame, hotlines: pd.DataFrame, on: date) -> pd.DataFrame:
    live = events[events["event_date"] <= on].copy()
    live["rank"] = live["status"].map(RANK)
    live = live.sort_values(["hotline_id", "event_date", "rank", "id"])
    last = live.groupby("hotline_id").tail(1)
    last = last[last["hotline_id"].isin(hotlines["id"])]
    return last[["hotline_id", "status"]]


def _network(session: Session) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    events = _dates(
        _read(session, "SELECT id, hotline_id, event_date, status FROM hotline_membership_events"),
        "event_date",
    )
    hotlines = _read(
        session, "SELECT id, name, country_code FROM hotlines WHERE archived_at IS NULL"
    )
    covers = _read(
        session,
        "SELECT hotline_id, country_code, covered_from, covered_until FROM hotline_countries",
    )
    for column in ("covered_from", "covered_until"):  # timestamps: a column may be all NULL
        covers[column] = pd.to_datetime(covers[column])
    return events, hotlines, covers


def _covers_on(covers: pd.DataFrame, on: date) -> pd.DataFrame:
    """The spells in force on ``on`` (from inclusive, until exclusive)."""
    day = pd.Timestamp(on)
    start_ok = covers["covered_from"].isna() | (covers["covered_from"] <= day)
    until_ok = covers["covered_until"].isna() | (covers["covered_until"] > day)
    return covers[start_ok & until_ok]


def coverage_map(session: Session, *, on: date) -> dict[str, Any]:
    events, hotlines, covers = _network(session)
    countries = _read(session, "SELECT alpha2, alpha3, name, region, is_sovereign FROM countries")
    status = _status_on(events, hotlines, on)
    members = status[status["status"].isin(COVERING)]
    covered = (
        _covers_on(covers, on)
        .merge(members, on="hotline_id")
        .merge(hotlines, left_on="hotline_id", right_on="id")
    )
    covered["level"] = (covered["status"] == "full").map({True: 2, False: 1})
    per_country = covered.groupby("country_code_x").agg(
        level=("level", "max"), hotlines=("name", lambda names: sorted(names))
    )
    stages = _dates(
        _read(
            session,
            "SELECT e.id, e.target_id, e.stage, e.entered_on, t.country_code"
            " FROM expansion_stage_events e"
            " JOIN expansion_targets t ON t.id = e.target_id WHERE t.archived_at IS NULL",
        ),
        "entered_on",
    )
    latest = (
        stages[stages["entered_on"] <= on]
        .sort_values(["entered_on", "id"])
        .groupby("target_id")
        .tail(1)
    )
    pipeline = set(latest[latest["stage"] != "member"]["country_code"])
    table = countries.set_index("alpha2").join(per_country)
    sovereign = table["is_sovereign"].astype(bool)
    return {
        "countries_covered": int((table["level"].notna() & sovereign).sum()),
        "territories_covered": int((table["level"].notna() & ~sovereign).sum()),
        "member_hotlines": len(members),
        "pipeline": len(pipeline - set(per_country.index)),
    }


def country_panel(session: Session, *, code: str, on: date) -> dict[str, Any]:
    events, hotlines, covers = _network(session)
    covers = _covers_on(covers, on)
    mine = covers[covers["country_code"] == code].merge(
        hotlines, left_on="hotline_id", right_on="id"
    )
    history = events[events["hotline_id"].isin(mine["id"]) & (events["event_date"] <= on)]
    parts = _read(
        session,
        "SELECT p.event_id, p.hotline_id, p.participants, e.title, e.start_date"
        " FROM training_participations p JOIN training_events e ON e.id = p.event_id"
        " WHERE e.archived_at IS NULL",
    )
    parts = _dates(parts, "start_date")
    local = parts[
        parts["hotline_id"].isin(hotlines[hotlines["country_code"] == code]["id"])
        & (parts["start_date"] <= on)
    ]
    orgs = _read(session, "SELECT name, kind, hq_country_code FROM organizations")
    return {
        "hotlines": int(history["hotline_id"].nunique()),
        "events": len(history),
        "trainings": int(local["event_id"].nunique()),
        "participants": int(local["participants"].sum()),
        "partners": int(
            ((orgs["hq_country_code"] == code) & (orgs["kind"] != "hotline_operator")).sum()
        ),
    }


Leg = tuple[date, float]  # (rate date, 1 unit = factor EUR)


def _to_eur(session: Session) -> Callable[[str, date], Leg | None]:
    """(code, day) -> the latest rate between ``code`` and EUR on or before ``day``, as
    (rate date, EUR per unit); stored either way, on one date the one towards EUR wins."""
    rates = _dates(
        _read(session, "SELECT base_code, quote_code, rate_date, rate FROM exchange_rates"),
        "rate_date",
    )
    per_code: dict[str, dict[date, float]] = {}
    for row in rates[rates["base_code"] == PIVOT].itertuples():
        per_code.setdefault(row.quote_code, {})[row.rate_date] = 1 / float(row.rate)
    for row in rates[rates["quote_code"] == PIVOT].itertuples():  # towards EUR: overwrites
        per_code.setdefault(row.base_code, {})[row.rate_date] = float(row.rate)
    days = {code: sorted(stored) for code, stored in per_code.items()}

    def find(code: str, day: date) -> Leg | None:
        at = bisect.bisect_right(days.get(code, []), day)
        return None if not at else (days[code][at - 1], per_code[code][days[code][at - 1]])

    return find


def _convert(
    frame: pd.DataFrame,
    dated: str,
    target: str,
    constant_on: date | None,
    find: Callable[[str, date], Leg | None],
    used: set[tuple[str, date]],
    left: set[str],
) -> pd.Series:
    """Each row's amount in ``target`` at the rate of its own date (or of ``constant_on``)."""
    values = []
    for code, amount, day in zip(
        frame["currency_code"], frame["amount"], frame[dated], strict=True
    ):
        on = day if constant_on is None else constant_on
        factor = 1.0
        if code != target:
            src = (on, 1.0) if code == PIVOT else find(code, on)
            dst = (on, 1.0) if target == PIVOT else find(target, on)
            if src is None or dst is None:
                left.add(code)
                values.append(0.0)
                continue
            factor = src[1] / dst[1]
            used.update(
                leg
                for leg, needed in (
                    ((code, src[0]), code != PIVOT),
                    ((target, dst[0]), target != PIVOT),
                )
                if needed
            )
        values.append(float(amount) * factor)
    return pd.Series(values, index=frame.index, dtype=float)


def funding(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    currency: str,
    constant_on: date | None = None,
) -> dict[str, Any]:
    find = _to_eur(session)
    used: set[tuple[str, date]] = set()
    left: set[str] = set()
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    commitments = _dates(
        _read(
            session,
            "SELECT c.id, c.amount, c.currency_code, c.pledged_on, c.status, c.archived_at,"
            " o.name AS funder, o.kind FROM funding_commitments c"
            " JOIN organizations o ON o.id = c.funder_id",
        ),
        "pledged_on",
    )  # all commitments: a receipt's share of a pillar needs its commitment, whenever pledged
    receipts = _dates(
        _read(
            session,
            "SELECT commitment_id, amount, currency_code, received_on, archived_at"
            " FROM funding_receipts WHERE archived_at IS NULL"
            f" AND received_on BETWEEN '{start}' AND '{end}'",  # noqa: S608  (dates)
        ),
        "received_on",
    )
    allocations = _read(
        session,
        "SELECT a.commitment_id, a.amount AS allocated, p.name AS pillar FROM funding_allocations a"
        " JOIN pillars p ON p.id = a.pillar_id",
    )
    pledged = commitments[
        commitments["archived_at"].isna()
        & (commitments["status"] != "cancelled")
        & (commitments["pledged_on"] >= start)
        & (commitments["pledged_on"] <= end)
    ].copy()
    pledged["value"] = _convert(pledged, "pledged_on", currency, constant_on, find, used, left)
    pledged["year"] = [d.year for d in pledged["pledged_on"]]
    received = receipts[
        receipts["archived_at"].isna()
        & (receipts["received_on"] >= start)
        & (receipts["received_on"] <= end)
    ].copy()
    received["value"] = _convert(received, "received_on", currency, constant_on, find, used, left)
    received["year"] = [d.year for d in received["received_on"]]
    by_pillar = received.merge(allocations, on="commitment_id").merge(
        commitments[["id", "amount"]].rename(columns={"id": "commitment_id", "amount": "total"}),
        on="commitment_id",
    )
    by_pillar["share"] = (
        by_pillar["value"] * by_pillar["allocated"].astype(float) / by_pillar["total"].astype(float)
    )
    by_funder = pledged.groupby(["funder", "kind"])["value"].sum()
    return {
        "pledged": pledged.groupby("year")["value"].sum().round(2).to_dict(),
        "received": received.groupby("year")["value"].sum().round(2).to_dict(),
        "received_by_pillar": by_pillar.groupby(["year", "pillar"])["share"]
        .sum()
        .round(2)
        .to_dict(),
        "funders": len(by_funder),
        "used": used,
        "left_out": left,
    }


def partnerships(session: Session, *, on: date) -> dict[str, Any]:
    rows = _dates(
        _read(
            session,
            "SELECT p.id, p.status, p.type, p.start_date, p.end_date, p.renewal_notice_days,"
            " p.archived_at, o.kind FROM partnerships p"
            " JOIN organizations o ON o.id = p.organization_id",
        ),
        "start_date",
        "end_date",
    )
    rows = rows[rows["archived_at"].isna()]
    tags = _read(
        session,
        "SELECT t.partnership_id, p.name FROM partnership_pillars t"
        " JOIN pillars p ON p.id = t.pillar_id",
    )
    notice = [
        end - pd.Timedelta(days=int(days)).to_pytimedelta() if isinstance(end, date) else None
        for end, days in zip(rows["end_date"], rows["renewal_notice_days"], strict=True)
    ]
    rows["notice"] = notice

    def state(status: str, start: Any, end: Any) -> str:
        """The status on ``on``, as coordapp.partners.agreements.state_on derives it."""
        started = not isinstance(start, date) or start <= on
        ends = end if isinstance(end, date) else None
        running = (status == "active" and ends is None) or (
            status in ("active", "ended", "lapsed") and ends is not None and ends >= on
        )
        if started and running:
            return "active"
        if status == "active":
            return "expired" if ends is not None and ends < on else "not_started"
        return status

    rows["state"] = [
        state(*values)
        for values in zip(rows["status"], rows["start_date"], rows["end_date"], strict=True)
    ]
    ahead = rows[
        (rows["status"] == "active")
        & (rows["state"] == "active")
        & rows["notice"].map(
            lambda d: d is not None and d <= on + pd.Timedelta(days=90).to_pytimedelta()
        )
    ]
    return {
        "by_status": rows["state"].value_counts().to_dict(),
        "by_type": rows["type"].value_counts().to_dict(),
        "by_kind": rows["kind"].value_counts().to_dict(),
        "by_pillar": tags[tags["partnership_id"].isin(rows["id"])]["name"].value_counts().to_dict(),
        "renewals": len(ahead),
    }


def _trainings(session: Session, start: date, end: date) -> pd.DataFrame:
    """Unarchived trainings that started between ``start`` and ``end``, with their
    participations."""
    return _dates(
        _read(
            session,
            "SELECT e.id AS event_id, e.kind, e.start_date, e.archived_at, e.pillar_id,"
            " pl.name AS pillar, p.hotline_id, p.participants, p.feedback_score,"
            " h.name AS hotline, c.name AS country"
            " FROM training_events e JOIN pillars pl ON pl.id = e.pillar_id"
            " LEFT JOIN training_participations p ON p.event_id = e.id"
            " LEFT JOIN hotlines h ON h.id = p.hotline_id"
            " LEFT JOIN countries c ON c.alpha2 = h.country_code"
            f" WHERE e.archived_at IS NULL AND e.start_date BETWEEN '{start}' AND '{end}'",  # noqa: S608
        ),
        "start_date",
    )


def training(session: Session, *, first_year: int, last_year: int) -> dict[str, Any]:
    rows = _trainings(session, date(first_year, 1, 1), date(last_year, 12, 31)).copy()
    rows["year"] = [d.year for d in rows["start_date"]]
    rows = rows[(rows["year"] >= first_year) & (rows["year"] <= last_year)]
    by_kind = rows.groupby(["year", "kind"]).agg(
        events=("event_id", "nunique"), people=("participants", "sum")
    )
    by_country = rows.dropna(subset=["country"]).groupby("country")["participants"].sum()
    scored = rows.dropna(subset=["feedback_score"])
    feedback = (
        (scored["feedback_score"].astype(float) * scored["participants"])
        .groupby(scored["year"])
        .sum()
    )
    return {
        "by_kind": {k: (int(v.events), int(v.people)) for k, v in by_kind.iterrows()},
        "countries": len(by_country),
        "feedback_years": len(feedback),
    }


def pillars(session: Session, *, year: int, today: date) -> dict[str, Any]:
    targets = _read(
        session,
        f"SELECT pillar_id, indicator, target_value FROM pillar_targets WHERE year = {int(year)}"  # noqa: S608
        " AND archived_at IS NULL",
    )
    start, end = date(year, 1, 1), min(date(year, 12, 31), today)
    trainings = _trainings(session, start, end)
    funding_rows = funding(session, first_year=year, last_year=year, currency="EUR")
    coverage = coverage_map(session, on=end)
    parts = _read(
        session,
        "SELECT id, status, type, start_date, end_date, organization_id, archived_at"
        " FROM partnerships",
    )
    stages = _dates(
        _read(session, "SELECT target_id, stage, entered_on FROM expansion_stage_events"),
        "entered_on",
    )
    actual = {}
    for row in targets.itertuples():
        mine = trainings[trainings["pillar_id"] == row.pillar_id]
        actual[(row.pillar_id, row.indicator)] = {
            "trainings_held": mine["event_id"].nunique(),
            "training_participants": mine.dropna(subset=["hotline_id"])["participants"].sum(),
            "hotlines_trained": mine["hotline_id"].nunique(),
            "funding_received_eur": sum(funding_rows["received_by_pillar"].values()),
            "member_hotlines": coverage["member_hotlines"],
            "countries_covered": coverage["countries_covered"],
            "expansion_targets_advanced": stages[
                (stages["entered_on"] >= start)
                & (stages["entered_on"] <= end)
                & (stages["stage"] != "identified")
            ]["target_id"].nunique(),
        }.get(row.indicator, len(parts[parts["status"] == "active"]))
    return {"targets": len(targets), "actuals": len(actual)}


def activity(
    session: Session, *, metric_code: str, first_year: int, last_year: int
) -> dict[str, Any]:
    stats = _dates(
        _read(
            session,
            "SELECT s.hotline_id, s.period_start, s.value, m.code, m.version, m.unit, c.region"
            " FROM hotline_statistics s JOIN metric_definitions m ON m.id = s.metric_id"
            " JOIN hotlines h ON h.id = s.hotline_id JOIN countries c ON c.alpha2 = h.country_code"
            f" WHERE m.code = '{metric_code}' AND s.period_start"  # noqa: S608  (a known code)
            f" BETWEEN '{date(first_year, 1, 1)}' AND '{date(last_year, 12, 31)}'",
        ),
        "period_start",
    )
    stats = stats[
        (stats["code"] == metric_code)
        & (stats["period_start"] >= date(first_year, 1, 1))
        & (stats["period_start"] <= date(last_year, 12, 31))
    ]
    by_period = stats.groupby(["period_start", "version"])["value"].sum()
    by_region = stats.groupby("region")["value"].sum().sort_values(ascending=False)
    return {
        "by_period": {k[0]: round(float(v), 2) for k, v in by_period.items()},
        "groups": len(by_region),
    }


def overview(session: Session, *, today: date) -> dict[str, Any]:
    before = date(today.year - 1, today.month, min(today.day, 28))
    now = coverage_map(session, on=today)
    then = coverage_map(session, on=before)
    money = funding(session, first_year=today.year, last_year=today.year, currency="EUR")
    events, hotlines, covers = _network(session)
    growth = {}
    for year in range(1999, today.year + 1):
        status = _status_on(events, hotlines, min(date(year, 12, 31), today))
        growth[year] = int(status["status"].isin(COVERING).sum())
    this_year = _trainings(session, date(today.year, 1, 1), today)
    return {
        "member_hotlines": (now["member_hotlines"], then["member_hotlines"]),
        "received": money["received"],
        "growth": growth,
        "trainings": int(this_year["event_id"].nunique()),
    }
