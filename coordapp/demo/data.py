"""Fixed tables of the demo network.

Every organization and hotline name here is FICTIONAL; countries and the shape of the network's
growth (8 founding hotlines in 1999, Europe first, then the rest of the world) follow the public
history of such networks. Websites and reporting pages use reserved ``example.org`` names only.
Nothing here is, or points to, report content.

Dates are ISO strings. Where a date must sit relative to the loader's ``today`` (renewals due,
stale contacts, overdue next steps) the table holds an ``int``: days after (or before) ``today``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources
from typing import NamedTuple


def read_table(name: str) -> Iterator[dict[str, str]]:
    """The rows of a demo table in ``coordapp/demo/tables/`` (CSV, UTF-8, a header row)."""
    with resources.files("coordapp.demo").joinpath("tables", name).open(encoding="utf-8") as f:
        yield from csv.DictReader(f)


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------

DEMO_PASSWORD = "coordapp-demo"  # noqa: S105  (documented demo credential, demo data only)

# (email, role, full name, owner key used by the tables below)
USERS = (
    ("admin@coordapp.example", "admin", "Demo Administrator", "admin"),
    ("manager@coordapp.example", "manager", "Partnerships Manager", "partnerships"),
    ("viewer@coordapp.example", "viewer", "Board Viewer", "viewer"),
    ("training@coordapp.example", "manager", "Training Manager", "training"),
    ("network@coordapp.example", "manager", "Network Manager", "network"),
)

# Hotline staff (the ``hotline`` role): (email, full name, keys of the hotlines they work for).
HOTLINE_USERS = (
    ("hotline.nl@coordapp.example", "Meldpunt Analyst", ("nl",)),
    ("hotline.be@coordapp.example", "ClearWeb Coordinator", ("be",)),
    ("hotline.de@coordapp.example", "German Hotlines Liaison", ("de1", "de2")),
)

# ---------------------------------------------------------------------------------------------
# The secretariat (its presence marks the demo as loaded)
# ---------------------------------------------------------------------------------------------

SECRETARIAT_NAME = "Hotline Network Secretariat"
SECRETARIAT_COUNTRY = "NL"
SECRETARIAT_TAGS = "secretariat network"
SECRETARIAT_NOTES = "Coordinates the member hotlines, trainings and the expansion pipeline."

# ---------------------------------------------------------------------------------------------
# Hotlines
# ---------------------------------------------------------------------------------------------


class HotlineSpec(NamedTuple):
    key: str  # short unique key, also the slug of the reporting page
    name: str
    operator: str  # the operating organization (kind hotline_operator)
    country: str  # home country, ISO 3166-1 alpha-2
    also_covers: str  # further countries / territories it accepts reports for
    founded: int
    languages: str  # ISO 639-1 codes
    channels: str
    staff: int
    # "YYYY-MM-DD status[: note]; ..." in date order
    events: str


def _hotline(row: dict[str, str]) -> HotlineSpec:
    return HotlineSpec._make(int(v) if k in ("founded", "staff") else v for k, v in row.items())


# One row a hotline (coordapp/demo/tables/hotlines.csv): the eight founding hotlines, full
# members at the network's founding in November 1999, first; then Europe broadly first, North
# America, Asia-Pacific, then the rest of the world.
HOTLINES: tuple[HotlineSpec, ...] = tuple(map(_hotline, read_table("hotlines.csv")))

HOTLINE_NOTES = {
    "dk": "Also accepts reports for Greenland and the Faroe Islands.",
    "au": "Also accepts reports for Christmas Island, the Cocos (Keeling) Islands and Norfolk "
    "Island.",
    "de1": "One of two member hotlines in Germany.",
    "de2": "One of two member hotlines in Germany.",
    "hu2": "Second member hotline in Hungary, run by a public body.",
    "cz2": "Second member hotline in the Czech Republic.",
    "se2": "Replaced the earlier Swedish member hotline, which withdrew in 2012.",
}

# Hotlines that have not yet sent statistics for the most recent quarter.
LATE_STATISTICS = ("al", "md", "kh")

# A few small figures (1 to 4), so the demo shows them hidden from viewers as "<5":
# (hotline key, quarters before the last complete one, metric code, value). A hotline's
# forwarded reports never exceed its assessed ones, which never exceed those received.
SMALL_STATISTICS = (
    ("mt", 1, "reports_forwarded", 3),
    ("is", 2, "reports_assessed_csam", 4),
    ("is", 2, "reports_forwarded", 2),
)

# ---------------------------------------------------------------------------------------------
# Partner organizations
# ---------------------------------------------------------------------------------------------


class PartnerSpec(NamedTuple):
    name: str
    kind: str  # an OrganizationKind value
    country: str  # HQ country, ISO 3166-1 alpha-2
    status: str  # an OrganizationStatus value
    tags: str
    notes: str | None


def _partner(row: dict[str, str]) -> PartnerSpec:
    return PartnerSpec._make(v or None if k == "notes" else v for k, v in row.items())


# One row an organization (coordapp/demo/tables/partners.csv), by kind: industry, law
# enforcement, intergovernmental, NGOs, governments, academia, foundations.
PARTNERS: tuple[PartnerSpec, ...] = tuple(map(_partner, read_table("partners.csv")))

# ---------------------------------------------------------------------------------------------
# Contacts (fictional people)
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kavya",
    "Lars", "Maja", "Nadia", "Omar", "Paula", "Quentin", "Rosa", "Sami", "Tessa", "Umar",
    "Vera", "Wei", "Ximena", "Yusuf", "Zofia", "Aoife", "Bruno", "Chiara", "Dimitri",
)  # fmt: skip
LAST_NAMES = (
    "Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Schmidt", "Kowalski", "Byrne",
    "Fernandes", "Haddad", "Jensen", "Kaya", "Li", "Mensah", "Nieminen", "Oliveira", "Petrov",
    "Rossi", "Silva", "Van Dijk", "Walsh", "Yilmaz", "Zhou", "Acheson", "Bianchi", "Costa",
)  # fmt: skip
JOB_TITLES = {
    "industry": ("Head of Trust & Safety", "Policy Manager", "Child Safety Lead",
                 "Partnerships Director"),
    "law_enforcement": ("Liaison Officer", "Head of Unit", "Senior Analyst"),
    "intergovernmental": ("Programme Officer", "Policy Adviser", "Head of Programme"),
    "ngo": ("Executive Director", "Advocacy Lead", "Programme Manager"),
    "government": ("Grant Manager", "Policy Officer", "Head of Online Safety"),
    "academic": ("Professor", "Research Fellow", "Lab Director"),
    "foundation": ("Programme Officer", "Grants Director", "Portfolio Manager"),
}  # fmt: skip
LAWFUL_BASES = (
    "Legitimate interest: partner coordination",
    "Legitimate interest: partner coordination",
    "Legitimate interest: grant management",
    "Consent recorded at the annual partner meeting",
)

# ---------------------------------------------------------------------------------------------
# Partnerships: (organization, title, type, status, start, end, notice days, pillar codes,
#                owner key). start / end: ISO date, days relative to today (int), or None.
# ---------------------------------------------------------------------------------------------

CB = "capacity_building"
TI = "technology_innovation"
NE = "network_expansion"
SC = "strategic_communications"

PARTNERSHIPS = (
    ("Brightpath Foundation", "Core capacity grant agreement", "funding", "active",
     "2016-04-01", 45, 90, (CB, NE), "partnerships"),
    ("European Digital Safety Programme", "Co-financing agreement for the hotline network",
     "funding", "active", "2015-04-01", 400, 120, (NE, CB), "partnerships"),
    ("Searchlight Technologies Inc.", "Hash list and classifier access", "technology",
     "active", "2017-06-01", 75, 60, (TI,), "partnerships"),
    ("Connectly Social Ltd.", "Notice-and-takedown escalation channel", "data_sharing",
     "active", "2019-05-01", 20, 60, (TI,), "network"),
    ("Nimbus Cloud Services", "Cloud credits for the report management system", "in_kind",
     "active", "2020-09-01", -12, 90, (TI,), "partnerships"),
    ("PixelShare Media B.V.", "Takedown liaison protocol", "data_sharing", "active",
     "2018-02-01", 600, 90, (TI,), "network"),
    ("HashGuard Labs Ltd.", "Image hashing toolkit licence", "technology", "active",
     "2021-01-01", -35, 60, (TI,), "partnerships"),
    ("PlayVerse Games Oy", "Gaming platform safety workshops", "funding", "active",
     "2022-03-01", 88, 90, (CB,), "training"),
    ("Lumen Domain Registry", "Domain abuse referral MoU", "strategic_mou", "active",
     "2020-01-15", None, 90, (TI, SC), "partnerships"),
    ("International Police Cooperation Bureau", "Law enforcement referral cooperation MoU",
     "strategic_mou", "active", "2012-10-01", None, 120, (CB, NE), "network"),
    ("European Cybercrime Coordination Unit", "Statistics exchange and referral protocol",
     "data_sharing", "active", "2016-01-01", 300, 120, (TI,), "network"),
    ("Asia-Pacific Child Exploitation Taskforce", "Regional analyst exchange", "strategic_mou",
     "negotiating", None, None, 90, (NE, CB), "network"),
    ("Council for Children's Rights in the Digital Age", "Policy advocacy MoU",
     "strategic_mou", "active", "2018-06-01", 900, 120, (SC,), "partnerships"),
    ("Global Child Online Protection Initiative", "Global reporting portal cooperation",
     "strategic_mou", "active", -700, None, 90, (NE, SC), "network"),
    ("Children First Online", "Joint awareness campaign", "in_kind", "ended", "2019-01-01",
     "2021-12-31", 60, (SC,), "partnerships"),
    ("Global Alliance for Child Safety", "Model national response alignment", "strategic_mou",
     "active", "2017-09-01", 500, 90, (SC, NE), "partnerships"),
    ("Survivor Voices Network", "Survivor-informed communications guidance", "in_kind",
     "active", "2021-04-01", 60, 60, (SC,), "partnerships"),
    ("Digital Rights and Child Welfare Forum", "Policy dialogue series", "strategic_mou",
     "lapsed", "2016-01-01", "2020-12-31", 90, (SC,), "partnerships"),
    ("Asia-Pacific Child Safety Coalition", "Regional hotline development programme",
     "strategic_mou", "active", "2019-01-01", 700, 90, (NE,), "network"),
    ("African Network for Child Online Protection", "Hotline scoping support in Africa",
     "strategic_mou", "negotiating", None, None, 90, (NE,), "network"),
    ("Dutch Online Safety Fund", "Secretariat operating grant", "funding", "active",
     "2015-01-01", 150, 120, (CB, NE), "partnerships"),
    ("UK Online Harms Reduction Fund", "Analyst training fund", "funding", "active",
     "2020-04-01", 250, 120, (CB,), "training"),
    ("Northbridge University Centre for Digital Harm Research", "Analyst wellbeing research",
     "data_sharing", "active", "2019-09-01", 365, 90, (CB, TI), "training"),
    ("Lakeside University Trust and Safety Lab", "Classifier evaluation study", "technology",
     "ended", "2020-01-01", "2023-06-30", 60, (TI,), "partnerships"),
    ("Rheinberg Technical University Image Forensics Group",
     "Image forensics research collaboration", "technology", "prospect", None, None, 90, (TI,),
     "partnerships"),
    ("Nordic Child Safety Fund", "Network expansion grant", "funding", "active", "2015-06-01",
     500, 90, (NE,), "network"),
    ("Harbour Light Children's Trust", "Analyst wellbeing programme grant", "funding", "active",
     "2016-09-01", 420, 90, (CB,), "training"),
    ("Keystone Digital Futures Foundation", "Technology innovation grant", "funding", "lapsed",
     "2015-03-01", "2019-02-28", 90, (TI,), "partnerships"),
    ("Telco Europa Group AG", "Network blocking list pilot", "technology", "ended",
     "2012-01-01", "2015-12-31", 60, (TI,), "partnerships"),
    ("StreamWave Video Inc.", "Video hashing partnership", "technology", "active", -420, 700,
     60, (TI,), "partnerships"),
    ("MessageBridge Pte. Ltd.", "Trust and safety onboarding MoU", "strategic_mou", "active",
     -150, 580, 90, (SC,), "partnerships"),
    ("Evergreen Childhood Foundation", "Communications capacity grant", "funding", "active",
     "2019-05-01", 800, 90, (SC, CB), "partnerships"),
    ("Connectly Social Ltd.", "Safety-by-design pledge", "strategic_mou", "lapsed",
     "2018-01-01", "2022-12-31", 60, (SC,), "partnerships"),
    ("Lighthouse Philanthropies", "Multi-year expansion grant", "funding", "negotiating",
     None, None, 120, (NE, SC), "network"),
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Funding: funders with their grant cycle
# (funder, currency, programme title, first pledge year, last pledge year or None, cycle years,
#  pledge month, yearly amount range in thousands, pillar codes)
# ---------------------------------------------------------------------------------------------

FUNDERS = (
    ("European Digital Safety Programme", "EUR", "Hotline network co-financing", 2015, None, 2,
     2, (650, 900), (NE, CB, TI, SC)),
    ("Dutch Online Safety Fund", "EUR", "Secretariat operating grant", 2015, None, 3, 11,
     (120, 180), (CB, NE)),
    ("Nordic Child Safety Fund", "EUR", "Network expansion grant", 2015, None, 3, 5,
     (80, 140), (NE,)),
    ("Keystone Digital Futures Foundation", "USD", "Technology innovation grant", 2015, 2017, 2,
     3, (60, 110), (TI,)),
    ("Brightpath Foundation", "USD", "Core capacity grant", 2016, None, 3, 3, (150, 240),
     (CB, NE)),
    ("Harbour Light Children's Trust", "GBP", "Analyst wellbeing programme", 2016, None, 3, 8,
     (40, 75), (CB,)),
    ("Searchlight Technologies Inc.", "USD", "Technology partnership contribution", 2017, None,
     2, 6, (90, 160), (TI,)),
    ("Lighthouse Philanthropies", "USD", "Expansion and awareness grant", 2018, None, 3, 9,
     (100, 200), (NE, SC)),
    ("Evergreen Childhood Foundation", "EUR", "Communications capacity grant", 2019, None, 3, 4,
     (50, 90), (SC, CB)),
    ("Connectly Social Ltd.", "EUR", "Industry safety contribution", 2019, None, 3, 10,
     (70, 120), (TI, SC)),
    ("Nimbus Cloud Services", "USD", "Cloud infrastructure contribution", 2020, None, 3, 10,
     (40, 80), (TI,)),
    ("UK Online Harms Reduction Fund", "GBP", "Analyst training fund", 2020, None, 3, 2,
     (90, 150), (CB, TI)),
    ("PlayVerse Games Oy", "EUR", "Gaming safety workshops", 2022, None, 3, 1, (30, 50), (CB,)),
)  # fmt: skip

# Commitments that were cancelled after the pledge: (funder, pledge year)
CANCELLED_PLEDGES = (
    ("Keystone Digital Futures Foundation", 2017),
    ("Nimbus Cloud Services", 2020),
    ("Connectly Social Ltd.", 2022),
)
# Funders paying their USD pledges in EUR.
PAYS_USD_IN_EUR = ("Lighthouse Philanthropies",)

# Yearly mean exchange rates (1 EUR = x), the demo's ECB-like reference values.
EUR_RATES = {
    "USD": {2015: 1.110, 2016: 1.107, 2017: 1.130, 2018: 1.181, 2019: 1.120, 2020: 1.142,
            2021: 1.183, 2022: 1.053, 2023: 1.081, 2024: 1.082, 2025: 1.130, 2026: 1.160},
    "GBP": {2015: 0.726, 2016: 0.819, 2017: 0.877, 2018: 0.885, 2019: 0.878, 2020: 0.890,
            2021: 0.860, 2022: 0.853, 2023: 0.870, 2024: 0.847, 2025: 0.855, 2026: 0.868},
}  # fmt: skip
RATE_BOUNDS = {"USD": (1.05, 1.20), "GBP": (0.72, 0.90)}
RATE_SOURCE = "demo (ECB-like reference)"

# ---------------------------------------------------------------------------------------------
# Training: (title, kind, pillar, topics, delivery or None = decided by year, organizer or None =
#            secretariat, trainers)
# ---------------------------------------------------------------------------------------------

SECRETARIAT_TRAINERS = "Secretariat training team"

TRAININGS = (
    ("Content assessment workshop for new analysts", "workshop", CB,
     "Content assessment, national legislation, referral procedures", "in_person", None,
     SECRETARIAT_TRAINERS),
    ("Analyst wellbeing and resilience", "workshop", CB,
     "Wellbeing of analysts, peer support, exposure limits", None,
     "Northbridge University Centre for Digital Harm Research",
     "Secretariat training team with university researchers"),
    ("Image classification and hashing", "webinar", TI,
     "Image classification, hash matching, shared hash lists", "online",
     "HashGuard Labs Ltd.", "HashGuard engineers"),
    ("Notice and takedown with industry", "webinar", TI,
     "Notice and takedown, hosting providers, escalation channels", "online", None,
     "Secretariat with industry trust & safety teams"),
    ("Working with law enforcement", "workshop", CB,
     "Referral to law enforcement, victim identification hand-over", None,
     "International Police Cooperation Bureau", "Liaison officers"),
    ("Hotline exchange visit", "exchange_visit", CB,
     "Peer learning, case handling, quality assurance", "in_person", None,
     "Host hotline staff"),
    ("Annual network conference", "conference", SC,
     "Network strategy, public awareness, policy developments", None, None,
     "Secretariat and invited speakers"),
    ("Introduction to hotline operations (e-learning)", "e_learning", CB,
     "Hotline procedures, data protection, wellbeing basics", "online", None,
     SECRETARIAT_TRAINERS),
    ("Setting up a new hotline", "workshop", NE,
     "Hotline set-up, legal framework, stakeholder engagement", None, None,
     "Secretariat network team with mentor hotlines"),
    ("Mentoring programme for provisional members", "exchange_visit", NE,
     "Mentoring, membership standards, quality review", "hybrid", None,
     "Mentor hotlines"),
    ("Communicating statistics to the public", "webinar", SC,
     "Public reporting, annual statistics, media relations", "online", None,
     "Secretariat communications team"),
    ("Data protection for hotlines (e-learning)", "e_learning", CB,
     "GDPR, data minimisation, retention schedules", "online", None, SECRETARIAT_TRAINERS),
    ("Classifier evaluation lab", "workshop", TI,
     "Automated classification, evaluation metrics, human review", None,
     "Lakeside University Trust and Safety Lab", "Lakeside lab researchers"),
    ("Regional meeting for Asia-Pacific hotlines", "conference", NE,
     "Regional cooperation, expansion, referral routes", None,
     "Asia-Pacific Child Safety Coalition", "Coalition and secretariat staff"),
)  # fmt: skip

# Partner organizations that sometimes send people to trainings.
TRAINING_GUEST_ORGS = (
    "International Police Cooperation Bureau",
    "European Cybercrime Coordination Unit",
    "Asia-Pacific Child Exploitation Taskforce",
    "Searchlight Technologies Inc.",
    "Connectly Social Ltd.",
    "Children First Online",
)

# ---------------------------------------------------------------------------------------------
# Pillar targets: pillar -> ((indicator, description, value in 2023, yearly increase), ...)
# ---------------------------------------------------------------------------------------------

PILLAR_TARGETS = {
    CB: (
        ("trainings_held", "Capacity-building training events held in the year", 3, 0),
        ("training_participants", "People from member hotlines trained in the year", 60, 5),
        ("hotlines_trained", "Member hotlines that took part in at least one training", 12, 0),
    ),
    TI: (
        ("funding_received_eur", "Funding received in the year, in EUR", 350000, 25000),
        ("technology_partnerships", "Technology and data-sharing partnerships in force", 5, 0),
    ),
    NE: (
        ("member_hotlines", "Member hotlines (provisional or full) at year end", 52, 1),
        ("countries_covered", "Countries covered (sovereign states) at year end", 50, 2),
        ("expansion_targets_advanced", "Expansion targets moved to a later stage in the year",
         3, 1),
    ),
    SC: (
        ("active_partnerships", "Partnerships in force at year end", 18, 1),
        ("partner_organizations", "Active partner organizations", 25, 1),
    ),
}  # fmt: skip
PILLAR_TARGET_FIRST_YEAR = 2023

# ---------------------------------------------------------------------------------------------
# Expansion pipeline: (country, priority, owner key, "YYYY-MM-DD stage[: note]; ...",
#                      next step, next step due in days relative to today, notes)
# ---------------------------------------------------------------------------------------------

EXPANSION_TARGETS = (
    ("NG", "high", "network",
     "2019-02-11 identified; 2020-06-01 scoping; 2021-09-13 stakeholder_engagement; "
     "2023-03-06 hotline_setup; 2025-06-16 applicant: Safe Online Nigeria applied",
     "Plan the membership review visit", 30, "Applicant hotline: Safe Online Nigeria."),
    ("KE", "high", "network",
     "2017-05-08 identified; 2018-09-03 scoping; 2019-11-04 stakeholder_engagement; "
     "2021-02-01 hotline_setup; 2022-10-03 applicant; 2024-05-20 member: Admitted as "
     "provisional member", "Mentoring check-in before the full membership review", 60,
     "Linda Mtandao Kenya is a provisional member since May 2024."),
    ("GH", "medium", "network",
     "2018-03-05 identified; 2019-10-07 scoping; 2021-05-10 stakeholder_engagement; "
     "2024-02-12 hotline_setup; 2026-05-18 applicant: Host organization applied",
     "Confirm the host organization's data protection assessment",
     -20, None),
    ("IN", "high", "network",
     "2016-01-11 identified; 2017-06-05 scoping; 2019-03-04 stakeholder_engagement",
     "Meet the national child rights commission", -45, None),
    ("ID", "high", "network",
     "2017-08-07 identified; 2018-11-05 scoping; 2020-02-03 stakeholder_engagement; "
     "2021-01-11 scoping: Candidate host withdrew, scoping again; "
     "2023-04-03 stakeholder_engagement", "Workshop with the ministry and two NGO candidates",
     21, None),
    ("VN", "medium", "partnerships", "2019-05-06 identified; 2022-09-05 scoping",
     "Desk research on the legal framework", -10, None),
    ("PK", "medium", "network", "2021-03-01 identified; 2026-02-09 scoping",
     "Identify potential host organizations", 90, None),
    ("EG", "low", "partnerships", "2022-01-10 identified; 2026-04-13 scoping",
     "Scoping call with a regional NGO partner", 120, None),
    ("MA", "medium", "network", "2020-10-05 identified; 2023-01-16 scoping",
     "Legal review of report handling under national law", -60, None),
    ("AR", "high", "network",
     "2021-10-04 identified: Previous member hotline withdrew; 2022-03-07 scoping; "
     "2024-05-06 stakeholder_engagement",
     "Agree a transition plan with the former operator's staff", 14,
     "The previous member hotline withdrew in 2021."),
    ("CL", "medium", "network",
     "2018-06-04 identified; 2019-08-05 scoping; 2021-06-07 stakeholder_engagement; "
     "2023-10-02 hotline_setup", "Review the draft hotline procedures manual", -5, None),
    ("PE", "low", "partnerships", "2020-02-03 identified; 2024-03-04 scoping",
     "Map potential host organizations", 45, None),
    ("UA", "high", "network",
     "2016-09-05 identified; 2018-02-05 scoping; 2019-05-06 stakeholder_engagement; "
     "2021-06-07 hotline_setup; 2022-03-14 stakeholder_engagement: Set-up paused; "
     "2024-09-02 hotline_setup: Set-up resumed", "Analyst training plan with a mentor hotline",
     10, None),
    ("GE", "medium", "network",
     "2019-01-14 identified; 2020-05-04 scoping; 2022-02-07 stakeholder_engagement; "
     "2025-01-13 hotline_setup; 2026-09-07 applicant", "Sign the host agreement", -30, None),
    ("AM", "low", "partnerships",
     "2022-06-06 identified; 2024-11-04 scoping; 2026-03-02 stakeholder_engagement",
     "Introductory call with the national regulator", 75, None),
)  # fmt: skip
