"""The headline figures: each defined once, here named and documented, computed by one function.

Every surface that shows a figure (home, the dashboards, the board pack HTML and XLSX, the API
summaries) calls the function named in ``definition``; ``coordapp.figures.check`` reads each
surface back and compares it with the definition (``flask figures check``, and the
reconciliation test in ``tests/figures``).

A figure is measured **on a date**: ``measured_on = period_end(year, today)`` — 31 December of
the year, or today in the current year. Flows (money, trainings) count from 1 January of the
year to that date. Money is in EUR, each row at the rate of its own date
(``coordapp.funding.conversion``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    key: str  # the name every surface uses (data-figure, kpi-<key>)
    label: str  # the words every surface uses
    counts: str  # what it counts, on which date
    definition: str  # the one function that computes it
    unit: str = "count"
    grouped: bool = False  # one value per group: key "<figure>:<group>"


FIGURES: tuple[Figure, ...] = (
    Figure(
        "member_hotlines",
        "Member hotlines",
        "Unarchived hotlines whose membership status on the date is provisional or full "
        "(the latest membership event on or before it; later lifecycle steps win a tie).",
        "coordapp.network.coverage.coverage_summary",
    ),
    Figure(
        "countries_covered",
        "Countries covered",
        "Sovereign states (UN members and observers, plus Kosovo; countries.is_sovereign) for "
        "which a provisional or full member hotline accepts reports on the date (a coverage "
        "spell covered_from <= date < covered_until).",
        "coordapp.network.coverage.coverage_summary",
    ),
    Figure(
        "territories_covered",
        "Territories covered",
        "Every other ISO 3166-1 entry (dependent territories) covered by the same rule, also "
        "when its sovereign state has no hotline.",
        "coordapp.network.coverage.coverage_summary",
    ),
    Figure(
        "countries_in_pipeline",
        "Countries in the pipeline",
        "Countries not covered on the date with an unarchived expansion target at a stage.",
        "coordapp.network.coverage.coverage_summary",
    ),
    Figure(
        "partnerships_in_force",
        "Partnerships in force",
        "Unarchived agreements started on or before the date (no start date counts as started) "
        "and either active without an end date, or active, ended or lapsed with an end date on "
        "or after the date (the end date is the last day in force).",
        "coordapp.partners.agreements.count_in_force",
    ),
    Figure(
        "renewals_due",
        "Renewals due",
        "Agreements in force and recorded as active whose renewal date (end date minus the "
        "notice period) is before the date (overdue) or within 90 days after it. Shown for "
        "today only.",
        "coordapp.partners.agreements.count_renewals_due",
    ),
    Figure(
        "partnerships_expired",
        "Ended without a decision",
        "Unarchived agreements still recorded as active whose end date is before the date: "
        "not in force, not a renewal due, until someone records ended, lapsed or a renewal. "
        "Shown for today only.",
        "coordapp.partners.agreements.count_expired",
    ),
    Figure(
        "pledged",
        "Funding pledged",
        "Commitments (not cancelled, not archived) pledged from 1 January to the date, in EUR, "
        "each at the rate of its pledge date.",
        "coordapp.funding.amounts.pledged_total",
        unit="EUR",
    ),
    Figure(
        "received",
        "Funding received",
        "Receipts (not archived) received from 1 January to the date, in EUR, each at the rate "
        "of its receipt date.",
        "coordapp.funding.amounts.received_total",
        unit="EUR",
    ),
    Figure(
        "outstanding",
        "Funding outstanding",
        "Of the commitments pledged from 1 January to the date (as 'pledged'): per commitment "
        "its pledge minus its receipts up to the date (each at its own date's rate), never "
        "below zero; summed.",
        "coordapp.funding.amounts.outstanding_total",
        unit="EUR",
    ),
    Figure(
        "trainings",
        "Trainings held",
        "Unarchived training events started from 1 January to the date.",
        "coordapp.reporting.training.trainings_between",
    ),
    Figure(
        "participants",
        "Training participants",
        "Participants of those trainings (all participations).",
        "coordapp.reporting.training.trainings_between",
    ),
    Figure(
        "pillar_actual",
        "Pillar indicator actual",
        "Each pillar target's indicator measured for the year on its measuring date: stocks "
        "(hotlines, countries, partnerships in force, partner organizations) are levels on the "
        "date, flows (trainings, participants, hotlines trained, money received, targets "
        "advanced) count from 1 January; trainings and money count the target's pillar only.",
        "coordapp.reporting.pillars.indicator_actual",
        grouped=True,
    ),
    Figure(
        "pillar_expected",
        "Pillar indicator expected by now",
        "A stock on the straight path from its start-of-year value to the target, a flow at "
        "target x share of the year elapsed; a past year at the whole target.",
        "coordapp.reporting.pillars.expected_by_now",
        grouped=True,
    ),
    Figure(
        "pledged_by_pillar",
        "Pledged by pillar",
        "The pillar allocations of the year's pledges (as 'pledged'), per pillar.",
        "coordapp.reporting.funding.funding_figures",
        unit="EUR",
        grouped=True,
    ),
    Figure(
        "received_by_pillar",
        "Received by pillar",
        "The year's receipts split pro rata to their commitment's allocations, per pillar.",
        "coordapp.reporting.funding.funding_figures",
        unit="EUR",
        grouped=True,
    ),
    Figure(
        "pledged_by_funder_kind",
        "Pledged by funder kind",
        "The year's pledges (as 'pledged') per kind of funder organization.",
        "coordapp.reporting.funding.funding_figures",
        unit="EUR",
        grouped=True,
    ),
    Figure(
        "received_by_funder_kind",
        "Received by funder kind",
        "The year's receipts (as 'received') per kind of funder organization.",
        "coordapp.reporting.funding.funding_figures",
        unit="EUR",
        grouped=True,
    ),
)


def family(key: str) -> str:
    """The catalogue key of a reading: 'received_by_pillar:Capacity Building' -> its figure."""
    return key.split(":", 1)[0]


BY_KEY = {figure.key: figure for figure in FIGURES}
