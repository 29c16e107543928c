"""The route × role matrix: what anonymous, viewer, manager, admin and hotline users get from
every route and every Dash callback, written out by hand. ``tests/test_access_matrix.py``
checks it against the running app, and fails when the app has a route or callback that is not
here (or this table has one the app no longer has).

Adding a route: add one ``Route(endpoint, method, example, EXPECT)`` line in its section (the
failing test prints a line to start from), with an example URL that reaches a real record
(placeholders such as ``{organization}`` are ids from the ``records`` fixture of
``tests/test_access_matrix.py``: add a record there for a new kind), and a body if the method
takes one. Choose EXPECT from the profiles below; write a new tuple only for a route that fits
none. Adding a Dash callback: a ``_callback(...)`` entry in CALLBACKS, the same way.

Outcomes, as the test reads a response:

* ALLOWED: 2xx, 3xx to anything but the sign-in page, or 400/409/422 caused by the example's
  (often empty) form — the access decision let the request through. Never 404: an example
  must reach an existing record, unless the row says ``status=404`` and why.
* SIGNED_OUT: 302 to /auth/sign-in (pages; GETs carry ?next=) or 401 (Dash's endpoints, the API).
* FORBIDDEN: 403.
* NOT_FOUND: 404 (a hotline user, outside their own hotline's pages).

/api/ rows are requested with a Bearer token of the role's user (anonymous: none); for them the
test also checks that a signed-in session cookie without a token gets 401.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "viewer", "manager", "admin", "hotline")

ALLOWED = "allowed"
SIGNED_OUT = "signed out"
FORBIDDEN = "forbidden"
# 404: what a hotline user gets from every page outside their own hotline's (so that ids of
# other hotlines, and the secretariat's pages, reveal nothing).
NOT_FOUND = "not found"

Expect = tuple[str, str, str, str, str]  # anonymous, viewer, manager, admin, hotline

PUBLIC: Expect = (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED)
# reads, exports, dashboards
SIGNED_IN: Expect = (SIGNED_OUT, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND)
# writes to coordination records
MANAGERS: Expect = (SIGNED_OUT, FORBIDDEN, ALLOWED, ALLOWED, NOT_FOUND)
# users, personal data, audit
ADMINS: Expect = (SIGNED_OUT, FORBIDDEN, FORBIDDEN, ALLOWED, NOT_FOUND)
SIGN_OUT: Expect = (SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT, SIGNED_OUT)
# The hotline's own pages, with its own id: its users only (the secretariat has the hotline
# pages; /my-hotline/ is not theirs). Other hotlines' ids: HOTLINE_SCOPE_PROBES below.
OWN_HOTLINE: Expect = (SIGNED_OUT, NOT_FOUND, NOT_FOUND, NOT_FOUND, ALLOWED)
# Every signed-in role, hotline users included: home and /login (a hotline user's home redirects
# to their hotline's page), and the rows whose example answers 404 to everyone signed in
# (``status=404``: there 404 counts as allowed).
EVERY_SIGNED_IN: Expect = (SIGNED_OUT, ALLOWED, ALLOWED, ALLOWED, ALLOWED)


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    example: str  # a path (and query) that reaches ``endpoint``; ``{name}`` is a record's id
    expect: Expect
    data: Mapping[str, Any] | None = None  # form body
    json: Any = None  # JSON body
    status: int | None = None  # the exact status of ALLOWED cells, where it is not 2xx/3xx

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.method)


EMPTY: Mapping[str, Any] = {}

# An (empty) form is enough for the access decision; a form re-rendered with its errors is
# ALLOWED, and every cell runs in its own rolled-back savepoint, so writes do not leak.
ROUTES: tuple[Route, ...] = (
    # --- public ----------------------------------------------------------------------------
    Route("static", "GET", "/static/css/coordapp.css", PUBLIC),
    Route("bootstrap.static", "GET", "/bootstrap/static/css/bootstrap.min.css", PUBLIC),
    Route("main.health", "GET", "/health", PUBLIC),
    Route("auth.sign_in", "GET", "/auth/sign-in", PUBLIC),
    Route("auth.sign_in", "POST", "/auth/sign-in", PUBLIC, data={"email": "", "password": ""}),
    # A set-password link (an invitation's): whoever holds it, signed in or not.
    Route("auth.set_password", "GET", "/auth/set-password/{set_password_token}", PUBLIC),
    Route(
        "auth.set_password",
        "POST",
        "/auth/set-password/{set_password_token}",
        PUBLIC,
        data=EMPTY,
    ),
    # --- home, session, tokens, API docs ---------------------------------------------------------
    Route("main.home", "GET", "/", EVERY_SIGNED_IN),
    # /login, typed from habit: the sign-in page for the signed-out, home for the signed-in.
    Route("main.login", "GET", "/login", EVERY_SIGNED_IN),
    # Suggestions of a typed list filter: the example's list has too few funders for one (the
    # filter is a select), so signed-in users get 404; tests/test_lists.py covers the answer.
    Route(
        "main.filter_suggestions",
        "GET",
        "/lookup/filter-suggestions?list=receipts&filter=funder&q=a",
        EVERY_SIGNED_IN,
        status=404,
    ),
    # Signing out ends on the sign-in page whoever asks (a POST's redirect carries no ?next=).
    Route("auth.sign_out", "POST", "/auth/sign-out", SIGN_OUT, data=EMPTY),
    Route("auth.sign_out_everywhere", "POST", "/auth/sign-out-everywhere", SIGN_OUT, data=EMPTY),
    Route("api_pages.tokens", "GET", "/auth/tokens", SIGNED_IN),
    Route("api_pages.tokens_create", "POST", "/auth/tokens", SIGNED_IN, data={"name": "script"}),
    # Someone else's token: only an admin may revoke it (everyone may revoke their own).
    Route("api_pages.tokens_revoke", "POST", "/auth/tokens/{token}/revoke", ADMINS, data=EMPTY),
    Route("api_pages.docs", "GET", "/api-docs", SIGNED_IN),
    # The signed-in user's own calendar feed address (hotline users have none).
    Route("main.calendar_page", "GET", "/auth/calendar", SIGNED_IN),
    Route("main.calendar_create", "POST", "/auth/calendar", SIGNED_IN, data=EMPTY),
    Route("main.calendar_revoke", "POST", "/auth/calendar/revoke", SIGNED_IN, data=EMPTY),
    # The feed itself: calendar apps cannot sign in, its secret is the credential (the example
    # is another user's live address; unknown and revoked ones answer 404: tests/main).
    Route("main.calendar_feed", "GET", "/calendar/{calendar_secret}.ics", PUBLIC),
    # --- users (admins only; the example user is not the one signed in) -------------------------
    Route("auth.users_list", "GET", "/auth/users/", ADMINS),
    Route("auth.users_detail", "GET", "/auth/users/{user}", ADMINS),
    Route("auth.users_new", "GET", "/auth/users/new", ADMINS),
    Route("auth.users_invite", "GET", "/auth/users/invite", ADMINS),
    Route("auth.users_invite", "POST", "/auth/users/invite", ADMINS, data=EMPTY),
    Route(
        "auth.users_set_password_link",
        "POST",
        "/auth/users/{user}/set-password-link",
        ADMINS,
        data=EMPTY,
    ),
    Route("auth.users_hotlines", "GET", "/auth/users/{hotline_user}/hotlines", ADMINS),
    Route("auth.users_hotlines", "POST", "/auth/users/{hotline_user}/hotlines", ADMINS, data=EMPTY),
    Route("auth.users_new", "POST", "/auth/users/new", ADMINS, data=EMPTY),
    Route("auth.users_edit", "GET", "/auth/users/{user}/edit", ADMINS),
    Route("auth.users_edit", "POST", "/auth/users/{user}/edit", ADMINS, data=EMPTY),
    Route("auth.users_deactivate", "POST", "/auth/users/{user}/deactivate", ADMINS, data=EMPTY),
    Route("auth.users_reactivate", "POST", "/auth/users/{user}/reactivate", ADMINS, data=EMPTY),
    Route("auth.users_password", "POST", "/auth/users/{user}/password", ADMINS, data=EMPTY),
    Route("auth.users_export", "GET", "/auth/users/{user}/personal-data", ADMINS),
    Route("auth.users_erase", "POST", "/auth/users/{user}/erase", ADMINS, data=EMPTY),
    # --- administration --------------------------------------------------------------------------
    Route("audit.log", "GET", "/audit/", ADMINS),
    Route("reference.overview", "GET", "/reference/", ADMINS),
    Route("reference.reseed", "POST", "/reference/reseed", ADMINS, data=EMPTY),
    Route("reference.metrics_list", "GET", "/reference/metrics", ADMINS),
    Route("reference.metrics_create", "GET", "/reference/metrics/new", ADMINS),
    Route("reference.metrics_create", "POST", "/reference/metrics/new", ADMINS, data=EMPTY),
    Route(
        "reference.metrics_new_version", "GET", "/reference/metrics/{metric}/new-version", ADMINS
    ),
    Route(
        "reference.metrics_new_version",
        "POST",
        "/reference/metrics/{metric}/new-version",
        ADMINS,
        data=EMPTY,
    ),
    Route("reference.metrics_edit", "GET", "/reference/metrics/{metric}/edit", ADMINS),
    Route("reference.metrics_edit", "POST", "/reference/metrics/{metric}/edit", ADMINS, data=EMPTY),
    Route("reference.metrics_retire", "GET", "/reference/metrics/{metric}/retire", ADMINS),
    Route(
        "reference.metrics_retire", "POST", "/reference/metrics/{metric}/retire", ADMINS, data=EMPTY
    ),
    Route("boardpack.pack", "GET", "/board-pack/", SIGNED_IN),
    Route("boardpack.pack_pdf", "GET", "/board-pack/pdf?year=2025", SIGNED_IN),
    # --- organizations, contacts, partnerships ---------------------------------------------------
    Route("partners.lookup_organizations", "GET", "/lookup/organizations?q=Org", SIGNED_IN),
    Route("partners.organizations_list", "GET", "/organizations/", SIGNED_IN),
    Route("partners.organizations_detail", "GET", "/organizations/{organization}", SIGNED_IN),
    Route("partners.organizations_new", "GET", "/organizations/new", MANAGERS),
    Route("partners.organizations_new", "POST", "/organizations/new", MANAGERS, data=EMPTY),
    Route("partners.organizations_edit", "GET", "/organizations/{organization}/edit", MANAGERS),
    Route(
        "partners.organizations_edit",
        "POST",
        "/organizations/{organization}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.organizations_archive",
        "POST",
        "/organizations/{organization}/archive",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.organizations_restore",
        "POST",
        "/organizations/{organization}/restore",
        MANAGERS,
        data=EMPTY,
    ),
    Route("partners.contacts_list", "GET", "/contacts/", SIGNED_IN),
    Route("partners.contacts_detail", "GET", "/contacts/{contact}", SIGNED_IN),
    Route("partners.contacts_new", "GET", "/contacts/new", MANAGERS),
    Route("partners.contacts_new", "POST", "/contacts/new", MANAGERS, data=EMPTY),
    Route("partners.contacts_edit", "GET", "/contacts/{contact}/edit", MANAGERS),
    Route("partners.contacts_edit", "POST", "/contacts/{contact}/edit", MANAGERS, data=EMPTY),
    Route("partners.contacts_archive", "POST", "/contacts/{contact}/archive", MANAGERS, data=EMPTY),
    Route("partners.contacts_restore", "POST", "/contacts/{contact}/restore", MANAGERS, data=EMPTY),
    Route("partners.contacts_export", "GET", "/contacts/{contact}/personal-data", ADMINS),
    Route("partners.contacts_erase", "POST", "/contacts/{contact}/erase", ADMINS, data=EMPTY),
    Route("partners.partnerships_list", "GET", "/partnerships/", SIGNED_IN),
    Route("partners.partnerships_detail", "GET", "/partnerships/{partnership}", SIGNED_IN),
    Route("partners.partnerships_new", "GET", "/partnerships/new", MANAGERS),
    Route("partners.partnerships_new", "POST", "/partnerships/new", MANAGERS, data=EMPTY),
    Route("partners.partnerships_edit", "GET", "/partnerships/{partnership}/edit", MANAGERS),
    Route(
        "partners.partnerships_edit",
        "POST",
        "/partnerships/{partnership}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.partnerships_status",
        "POST",
        "/partnerships/{partnership}/status",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.partnerships_renew",
        "POST",
        "/partnerships/{partnership}/renew",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.partnerships_archive",
        "POST",
        "/partnerships/{partnership}/archive",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.partnerships_restore",
        "POST",
        "/partnerships/{partnership}/restore",
        MANAGERS,
        data=EMPTY,
    ),
    # --- network: countries, hotlines, expansion pipeline ----------------------------------------
    Route("network.countries_list", "GET", "/countries/", SIGNED_IN),
    Route("network.country_detail", "GET", "/countries/NL", SIGNED_IN),
    Route("network.hotlines_list", "GET", "/hotlines/", SIGNED_IN),
    Route("network.hotlines_detail", "GET", "/hotlines/{hotline}", SIGNED_IN),
    Route("network.hotlines_new", "GET", "/hotlines/new", MANAGERS),
    Route("network.hotlines_new", "POST", "/hotlines/new", MANAGERS, data=EMPTY),
    Route("network.hotlines_edit", "GET", "/hotlines/{hotline}/edit", MANAGERS),
    Route("network.hotlines_edit", "POST", "/hotlines/{hotline}/edit", MANAGERS, data=EMPTY),
    Route("network.hotlines_archive", "POST", "/hotlines/{hotline}/archive", MANAGERS, data=EMPTY),
    Route("network.hotlines_restore", "POST", "/hotlines/{hotline}/restore", MANAGERS, data=EMPTY),
    Route(
        "network.hotlines_add_membership_event",
        "POST",
        "/hotlines/{hotline}/membership-events",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "network.hotlines_remove_membership_event",
        "POST",
        "/hotlines/{hotline}/membership-events/{membership_event}/delete",
        MANAGERS,
        data=EMPTY,
    ),
    # --- the compliance register (requirements: reference data, admins write) -------------------
    Route("compliance.matrix", "GET", "/compliance/", SIGNED_IN),
    Route("compliance.requirements_list", "GET", "/compliance/requirements/", SIGNED_IN),
    Route(
        "compliance.requirements_detail", "GET", "/compliance/requirements/{requirement}", SIGNED_IN
    ),
    Route("compliance.requirements_new", "GET", "/compliance/requirements/new", ADMINS),
    Route(
        "compliance.requirements_new", "POST", "/compliance/requirements/new", ADMINS, data=EMPTY
    ),
    Route(
        "compliance.requirements_edit", "GET", "/compliance/requirements/{requirement}/edit", ADMINS
    ),
    Route(
        "compliance.requirements_edit",
        "POST",
        "/compliance/requirements/{requirement}/edit",
        ADMINS,
        data=EMPTY,
    ),
    Route(
        "compliance.requirements_archive",
        "POST",
        "/compliance/requirements/{requirement}/archive",
        ADMINS,
        data=EMPTY,
    ),
    Route(
        "compliance.requirements_restore",
        "POST",
        "/compliance/requirements/{requirement}/restore",
        ADMINS,
        data=EMPTY,
    ),
    Route("compliance.item_edit", "GET", "/hotlines/{hotline}/compliance/{requirement}", MANAGERS),
    Route(
        "compliance.item_edit",
        "POST",
        "/hotlines/{hotline}/compliance/{requirement}",
        MANAGERS,
        data=EMPTY,
    ),
    Route("network.expansion_list", "GET", "/expansion/", SIGNED_IN),
    Route("network.expansion_detail", "GET", "/expansion/{expansion}", SIGNED_IN),
    Route("network.expansion_new", "GET", "/expansion/new", MANAGERS),
    Route("network.expansion_new", "POST", "/expansion/new", MANAGERS, data=EMPTY),
    Route("network.expansion_edit", "GET", "/expansion/{expansion}/edit", MANAGERS),
    Route("network.expansion_edit", "POST", "/expansion/{expansion}/edit", MANAGERS, data=EMPTY),
    Route(
        "network.expansion_move_stage", "POST", "/expansion/{expansion}/move", MANAGERS, data=EMPTY
    ),
    Route(
        "network.expansion_archive", "POST", "/expansion/{expansion}/archive", MANAGERS, data=EMPTY
    ),
    Route(
        "network.expansion_restore", "POST", "/expansion/{expansion}/restore", MANAGERS, data=EMPTY
    ),
    # --- funding ---------------------------------------------------------------------------------
    Route("funding.commitments_list", "GET", "/commitments/", SIGNED_IN),
    Route("funding.commitments_detail", "GET", "/commitments/{commitment}", SIGNED_IN),
    Route(
        "funding.partnerships_of_funder",
        "GET",
        "/commitments/partnerships-of-funder?funder=Org",
        SIGNED_IN,
    ),
    Route("funding.commitments_new", "GET", "/commitments/new", MANAGERS),
    Route("funding.commitments_new", "POST", "/commitments/new", MANAGERS, data=EMPTY),
    Route("funding.commitments_edit", "GET", "/commitments/{commitment}/edit", MANAGERS),
    Route(
        "funding.commitments_edit", "POST", "/commitments/{commitment}/edit", MANAGERS, data=EMPTY
    ),
    Route(
        "funding.commitments_status",
        "POST",
        "/commitments/{commitment}/status",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "funding.commitments_archive",
        "POST",
        "/commitments/{commitment}/archive",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "funding.commitments_restore",
        "POST",
        "/commitments/{commitment}/restore",
        MANAGERS,
        data=EMPTY,
    ),
    Route("funding.commitments_schedule", "GET", "/commitments/{commitment}/schedule", MANAGERS),
    Route(
        "funding.commitments_schedule",
        "POST",
        "/commitments/{commitment}/schedule",
        MANAGERS,
        data=EMPTY,
    ),
    Route("partners.interactions_list", "GET", "/interactions/", SIGNED_IN),
    Route("partners.interactions_detail", "GET", "/interactions/{interaction}", SIGNED_IN),
    Route("partners.interactions_new", "GET", "/interactions/new", MANAGERS),
    Route("partners.interactions_new", "POST", "/interactions/new", MANAGERS, data=EMPTY),
    Route("partners.interactions_edit", "GET", "/interactions/{interaction}/edit", MANAGERS),
    Route(
        "partners.interactions_edit",
        "POST",
        "/interactions/{interaction}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "partners.interactions_follow_up_done",
        "POST",
        "/interactions/{interaction}/follow-up-done",
        MANAGERS,
        data=EMPTY,
    ),
    Route("funding.reporting_requirements_list", "GET", "/reporting-requirements/", SIGNED_IN),
    Route(
        "funding.reporting_requirements_detail",
        "GET",
        "/reporting-requirements/{reporting_requirement}",
        SIGNED_IN,
    ),
    Route("funding.reporting_requirements_new", "GET", "/reporting-requirements/new", MANAGERS),
    Route(
        "funding.reporting_requirements_new",
        "POST",
        "/reporting-requirements/new",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "funding.reporting_requirements_edit",
        "GET",
        "/reporting-requirements/{reporting_requirement}/edit",
        MANAGERS,
    ),
    Route(
        "funding.reporting_requirements_edit",
        "POST",
        "/reporting-requirements/{reporting_requirement}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route("funding.receipts_list", "GET", "/receipts/", SIGNED_IN),
    Route("funding.receipts_detail", "GET", "/receipts/{receipt}", SIGNED_IN),
    Route("funding.receipts_new", "GET", "/receipts/new", MANAGERS),
    Route("funding.receipts_new", "POST", "/receipts/new", MANAGERS, data=EMPTY),
    Route("funding.receipts_edit", "GET", "/receipts/{receipt}/edit", MANAGERS),
    Route("funding.receipts_edit", "POST", "/receipts/{receipt}/edit", MANAGERS, data=EMPTY),
    Route("funding.receipts_archive", "POST", "/receipts/{receipt}/archive", MANAGERS, data=EMPTY),
    Route("funding.receipts_restore", "POST", "/receipts/{receipt}/restore", MANAGERS, data=EMPTY),
    Route("funding.exchange_rates_list", "GET", "/exchange-rates/", SIGNED_IN),
    Route("funding.exchange_rates_detail", "GET", "/exchange-rates/{exchange_rate}", SIGNED_IN),
    Route("funding.exchange_rates_new", "GET", "/exchange-rates/new", MANAGERS),
    Route("funding.exchange_rates_new", "POST", "/exchange-rates/new", MANAGERS, data=EMPTY),
    Route("funding.exchange_rates_edit", "GET", "/exchange-rates/{exchange_rate}/edit", MANAGERS),
    Route(
        "funding.exchange_rates_edit",
        "POST",
        "/exchange-rates/{exchange_rate}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route("funding.exchange_rates_upload", "GET", "/exchange-rates/upload", MANAGERS),
    Route("funding.exchange_rates_upload", "POST", "/exchange-rates/upload", MANAGERS, data=EMPTY),
    # --- training --------------------------------------------------------------------------------
    Route("training.trainings_list", "GET", "/trainings/", SIGNED_IN),
    Route("training.trainings_detail", "GET", "/trainings/{training}", SIGNED_IN),
    Route("training.trainings_new", "GET", "/trainings/new", MANAGERS),
    Route("training.trainings_new", "POST", "/trainings/new", MANAGERS, data=EMPTY),
    Route("training.trainings_edit", "GET", "/trainings/{training}/edit", MANAGERS),
    Route("training.trainings_edit", "POST", "/trainings/{training}/edit", MANAGERS, data=EMPTY),
    Route(
        "training.trainings_archive", "POST", "/trainings/{training}/archive", MANAGERS, data=EMPTY
    ),
    Route(
        "training.trainings_restore", "POST", "/trainings/{training}/restore", MANAGERS, data=EMPTY
    ),
    Route(
        "training.trainings_add_participation",
        "POST",
        "/trainings/{training}/participation",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "training.participation_edit",
        "GET",
        "/trainings/{training}/participation/{participation}/edit",
        MANAGERS,
    ),
    Route(
        "training.participation_edit",
        "POST",
        "/trainings/{training}/participation/{participation}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "training.participation_remove",
        "POST",
        "/trainings/{training}/participation/{participation}/remove",
        MANAGERS,
        data=EMPTY,
    ),
    # --- pillars, statistics ---------------------------------------------------------------------
    Route("pillars.pillar_targets_list", "GET", "/pillar-targets/", SIGNED_IN),
    Route("pillars.pillar_targets_detail", "GET", "/pillar-targets/{pillar_target}", SIGNED_IN),
    Route("pillars.pillar_targets_new", "GET", "/pillar-targets/new", MANAGERS),
    Route("pillars.pillar_targets_new", "POST", "/pillar-targets/new", MANAGERS, data=EMPTY),
    Route("pillars.pillar_targets_edit", "GET", "/pillar-targets/{pillar_target}/edit", MANAGERS),
    Route(
        "pillars.pillar_targets_edit",
        "POST",
        "/pillar-targets/{pillar_target}/edit",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "pillars.pillar_targets_archive",
        "POST",
        "/pillar-targets/{pillar_target}/archive",
        MANAGERS,
        data=EMPTY,
    ),
    Route(
        "pillars.pillar_targets_restore",
        "POST",
        "/pillar-targets/{pillar_target}/restore",
        MANAGERS,
        data=EMPTY,
    ),
    Route("stats.statistics_list", "GET", "/statistics/", SIGNED_IN),
    Route("stats.statistics_detail", "GET", "/statistics/{statistic}", SIGNED_IN),
    Route(
        "stats.statistics_grid", "GET", "/statistics/grid?hotline={hotline}&year=2025", SIGNED_IN
    ),
    Route(
        "stats.statistics_grid",
        "POST",
        "/statistics/grid?hotline={hotline}&year=2025",
        MANAGERS,
        data=EMPTY,
    ),
    # --- quarters' sign-off (the example quarter is submitted, with figures missing) -----------
    Route("quarters.quarters_list", "GET", "/quarters/", SIGNED_IN),
    Route("quarters.quarters_detail", "GET", "/quarters/{quarter}", SIGNED_IN),
    Route("quarters.review_queue", "GET", "/quarters/review", MANAGERS),
    Route("quarters.quarters_approve", "POST", "/quarters/{quarter}/approve", MANAGERS, data=EMPTY),
    # No comment: refused with the form's message (422), nothing written.
    Route("quarters.quarters_return", "POST", "/quarters/{quarter}/return", MANAGERS, data=EMPTY),
    # Not approved: refused (422).
    Route("quarters.quarters_reopen", "POST", "/quarters/{quarter}/reopen", MANAGERS, data=EMPTY),
    # Q2 2025 is incomplete: refused with a message on the grid (a redirect).
    Route(
        "quarters.submit_quarter",
        "POST",
        "/statistics/grid/submit?hotline={hotline}&year=2025&quarter=2",
        MANAGERS,
        data=EMPTY,
    ),
    # --- the hotline's own pages (its users; ids of other hotlines: HOTLINE_SCOPE_PROBES) --------
    Route("portal.home", "GET", "/my-hotline/", OWN_HOTLINE),
    Route("portal.hotline", "GET", "/my-hotline/{hotline}", OWN_HOTLINE),
    Route("portal.profile", "GET", "/my-hotline/{hotline}/profile", OWN_HOTLINE),
    Route("portal.profile", "POST", "/my-hotline/{hotline}/profile", OWN_HOTLINE, data=EMPTY),
    Route("portal.contact_new", "GET", "/my-hotline/{hotline}/contacts/new", OWN_HOTLINE),
    Route(
        "portal.contact_new", "POST", "/my-hotline/{hotline}/contacts/new", OWN_HOTLINE, data=EMPTY
    ),
    Route(
        "portal.contact_edit",
        "GET",
        "/my-hotline/{hotline}/contacts/{contact}/edit",
        OWN_HOTLINE,
    ),
    Route(
        "portal.contact_edit",
        "POST",
        "/my-hotline/{hotline}/contacts/{contact}/edit",
        OWN_HOTLINE,
        data=EMPTY,
    ),
    Route("portal.figures", "GET", "/my-hotline/{hotline}/figures?year=2025", OWN_HOTLINE),
    Route(
        "portal.figures",
        "POST",
        "/my-hotline/{hotline}/figures?year=2025",
        OWN_HOTLINE,
        data=EMPTY,
    ),
    Route(
        "portal.figures_submit",
        "POST",
        "/my-hotline/{hotline}/figures/submit?year=2025&quarter=1",
        OWN_HOTLINE,
        data=EMPTY,
    ),
    # --- import ----------------------------------------------------------------------------------
    Route("imports.upload", "GET", "/import/", MANAGERS),
    Route("imports.check", "POST", "/import/", MANAGERS, data=EMPTY),
    Route("imports.apply", "POST", "/import/apply", MANAGERS, data=EMPTY),
    Route("imports.columns", "GET", "/import/columns", MANAGERS),
    Route("imports.map_columns", "POST", "/import/columns", MANAGERS, data=EMPTY),
    Route("imports.template", "GET", "/import/template/organizations.csv", MANAGERS),
    Route("imports.progress", "GET", "/import/progress/" + "p" * 32, MANAGERS),
    # --- dashboards (Dash's own routes; its callbacks are in CALLBACKS below) -------------------
    Route("/dashboards/", "GET", "/dashboards/", SIGNED_IN),
    Route("/dashboards/<path:path>", "GET", "/dashboards/map?year=2010", SIGNED_IN),
    Route("/dashboards/_dash-layout", "GET", "/dashboards/_dash-layout", SIGNED_IN),
    Route("/dashboards/_dash-dependencies", "GET", "/dashboards/_dash-dependencies", SIGNED_IN),
    Route(
        "/dashboards/_dash-update-component",
        "POST",
        "/dashboards/_dash-update-component",
        SIGNED_IN,
        json={
            "output": "..pl-progress.figure...pl-table.children...pillars-note.children..",
            "outputs": [
                {"id": "pl-progress", "property": "figure"},
                {"id": "pl-table", "property": "children"},
                {"id": "pillars-note", "property": "children"},
            ],
            "inputs": [
                {"id": {"type": "filter", "name": "year"}, "property": "value", "value": 2025}
            ],
            "state": [],
            "changedPropIds": ['{"name":"year","type":"filter"}.value'],
        },
    ),
    Route(
        "/dashboards/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        "GET",
        "/dashboards/_dash-component-suites/dash/deps/prop-types@15.8.1.min.js",
        SIGNED_IN,
    ),
    Route("/dashboards/_favicon.ico", "GET", "/dashboards/_favicon.ico", SIGNED_IN),
    Route("/dashboards/_reload-hash", "GET", "/dashboards/_reload-hash", SIGNED_IN),
    # dashboards/ has no assets folder, yet Dash registers the route: signed-in users get 404.
    Route(
        "_dashboards_dash_assets.static",
        "GET",
        "/dashboards/assets/style.css",
        EVERY_SIGNED_IN,
        status=404,
    ),
    # --- API /api/v1 (Bearer token of the role's user; a session cookie alone gets 401) ----------
    Route("api.openapi", "GET", "/api/v1/openapi.json", SIGNED_IN),
    Route("api.coverage", "GET", "/api/v1/coverage?as_of=2020-01-01", SIGNED_IN),
    Route("api.funding_summary", "GET", "/api/v1/funding/summary?year=2025", SIGNED_IN),
    Route("api.training_summary", "GET", "/api/v1/training/summary", SIGNED_IN),
    Route("api.organizations_list", "GET", "/api/v1/organizations", SIGNED_IN),
    Route("api.organizations_detail", "GET", "/api/v1/organizations/{organization}", SIGNED_IN),
    Route("api.contacts_list", "GET", "/api/v1/contacts", SIGNED_IN),
    Route("api.contacts_detail", "GET", "/api/v1/contacts/{contact}", SIGNED_IN),
    Route("api.partnerships_list", "GET", "/api/v1/partnerships", SIGNED_IN),
    Route("api.partnerships_detail", "GET", "/api/v1/partnerships/{partnership}", SIGNED_IN),
    Route("api.partnership_create", "POST", "/api/v1/partnerships", MANAGERS, json={}),
    Route(
        "api.partnership_update",
        "PATCH",
        "/api/v1/partnerships/{partnership}",
        MANAGERS,
        json={"title": "Renamed"},
    ),
    Route("api.hotlines_list", "GET", "/api/v1/hotlines", SIGNED_IN),
    Route("api.hotlines_detail", "GET", "/api/v1/hotlines/{hotline}", SIGNED_IN),
    Route(
        "api.statistics_put",
        "PUT",
        "/api/v1/hotlines/{hotline}/statistics/2025",
        MANAGERS,
        json={"values": {}},
    ),
    Route("api.hotline_statistics_list", "GET", "/api/v1/hotline-statistics", SIGNED_IN),
    Route(
        "api.hotline_statistics_detail",
        "GET",
        "/api/v1/hotline-statistics/{statistic}",
        SIGNED_IN,
    ),
    Route("api.expansion_targets_list", "GET", "/api/v1/expansion-targets", SIGNED_IN),
    Route(
        "api.expansion_targets_detail", "GET", "/api/v1/expansion-targets/{expansion}", SIGNED_IN
    ),
    Route("api.funding_commitments_list", "GET", "/api/v1/funding-commitments", SIGNED_IN),
    Route(
        "api.funding_commitments_detail",
        "GET",
        "/api/v1/funding-commitments/{commitment}",
        SIGNED_IN,
    ),
    Route("api.funding_receipts_list", "GET", "/api/v1/funding-receipts", SIGNED_IN),
    Route("api.funding_receipts_detail", "GET", "/api/v1/funding-receipts/{receipt}", SIGNED_IN),
    Route("api.receipt_create", "POST", "/api/v1/funding-receipts", MANAGERS, json={}),
    Route(
        "api.funding_commitment_instalments",
        "GET",
        "/api/v1/funding-commitments/{commitment}/instalments",
        SIGNED_IN,
    ),
    Route("api.reporting_requirements_list", "GET", "/api/v1/reporting-requirements", SIGNED_IN),
    Route(
        "api.reporting_requirements_detail",
        "GET",
        "/api/v1/reporting-requirements/{reporting_requirement}",
        SIGNED_IN,
    ),
    Route("api.exchange_rates_list", "GET", "/api/v1/exchange-rates", SIGNED_IN),
    Route("api.exchange_rates_detail", "GET", "/api/v1/exchange-rates/{exchange_rate}", SIGNED_IN),
    Route("api.trainings_list", "GET", "/api/v1/trainings", SIGNED_IN),
    Route("api.trainings_detail", "GET", "/api/v1/trainings/{training}", SIGNED_IN),
    Route("api.training_create", "POST", "/api/v1/trainings", MANAGERS, json={}),
    Route("api.pillar_targets_list", "GET", "/api/v1/pillar-targets", SIGNED_IN),
    Route("api.pillar_targets_detail", "GET", "/api/v1/pillar-targets/{pillar_target}", SIGNED_IN),
)


# The hotline user's pages with ids outside their scope: another hotline, another hotline's
# contact, their own hotline with another's contact. Each is a 404 for the hotline user (and for
# every other signed-in role: /my-hotline/ is no one else's). Secretariat pages with their own
# hotline's id (/hotlines/{hotline}, /api/v1/hotlines/{hotline}, the statistics grid) are in
# ROUTES above: NOT_FOUND in the hotline column like every other page.
HOTLINE_SCOPE_PROBES: tuple[tuple[str, str, Mapping[str, Any] | None], ...] = (
    ("GET", "/my-hotline/{other_hotline}", None),
    ("GET", "/my-hotline/{other_hotline}/profile", None),
    ("POST", "/my-hotline/{other_hotline}/profile", {"staff_count": "3"}),
    ("GET", "/my-hotline/{other_hotline}/contacts/new", None),
    ("POST", "/my-hotline/{other_hotline}/contacts/new", {"full_name": "Someone"}),
    ("GET", "/my-hotline/{other_hotline}/contacts/{other_contact}/edit", None),
    ("GET", "/my-hotline/{hotline}/contacts/{other_contact}/edit", None),
    ("POST", "/my-hotline/{hotline}/contacts/{other_contact}/edit", {"full_name": "X"}),
    ("GET", "/my-hotline/{other_hotline}/figures?year=2025", None),
    ("POST", "/my-hotline/{other_hotline}/figures?year=2025", {"c-reports_received-1": "5"}),
    ("POST", "/my-hotline/{other_hotline}/figures/submit?year=2025&quarter=1", {}),
    ("GET", "/my-hotline/999999999", None),
)


# --- Dash callbacks ---------------------------------------------------------------------------


def _key(component: Any) -> str:
    """A component id as Dash writes it in callback ids (dict ids as sorted, compact JSON)."""
    if isinstance(component, dict):
        return json.dumps(component, sort_keys=True, separators=(",", ":"))
    return str(component)


def prop(component: Any, name: str, value: Any) -> dict[str, Any]:
    """One input or state value as the renderer sends it."""
    return {"id": component, "property": name, "value": value}


def out(component: Any, name: str) -> dict[str, Any]:
    return {"id": component, "property": name}


def fid(name: str) -> dict[str, str]:
    return {"type": "filter", "name": name}


@dataclass(frozen=True)
class Callback:
    """A server callback, keyed as in ``dash_app.callback_map``, and one request for it as the
    renderer sends it: inputs and state in declaration order (a list per ALL wildcard), the
    outputs with concrete ids (a MATCH resolved to the clicked component)."""

    output: str
    expect: Expect
    outputs: Any
    inputs: list[Any]
    state: list[Any] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        first = self.inputs[0][0] if isinstance(self.inputs[0], list) else self.inputs[0]
        return {
            "output": self.output,
            "outputs": self.outputs,
            "inputs": self.inputs,
            "state": self.state,
            "changedPropIds": [f"{_key(first['id'])}.{first['property']}"],
        }


def _multi(*outputs: tuple[Any, str]) -> tuple[str, list[dict[str, Any]]]:
    key = "..." + "...".join(f"{_key(c)}.{p}" for c, p in outputs)
    return key[1:] + "..", [out(c, p) for c, p in outputs]


def _callback(outputs: list[tuple[Any, str]], expect: Expect, inputs: list[Any], **kw: Any) -> Any:
    if len(outputs) == 1:
        component, name = outputs[0]
        return Callback(f"{_key(component)}.{name}", expect, out(component, name), inputs, **kw)
    key, specs = _multi(*outputs)
    return Callback(key, expect, specs, inputs, **kw)


_FILTERS_ON_MAP = [prop(fid("year"), "value", 2010), prop(fid("region"), "value", None)]
# The map's own callback also reads how it colours the countries.
_MAP_INPUTS = [*_FILTERS_ON_MAP, prop(fid("colour"), "value", "compliance")]
_FILTER_IDS_ON_MAP = [
    prop(fid("year"), "id", fid("year")),
    prop(fid("region"), "id", fid("region")),
]

# None of the callbacks writes: every signed-in role may run each of them. A callback that
# changes data must be MANAGERS here (and check the role itself).
CALLBACKS: tuple[Callback, ...] = (
    # The shell: routing, filters into the URL, "Download data" buttons.
    _callback(
        [("page-content", "children"), ("dash-subnav", "children"), ("current-path", "data")],
        SIGNED_IN,
        [prop("url", "pathname", "/dashboards/map")],
        state=[prop("url", "search", "?year=2010"), prop("current-path", "data", None)],
    ),
    _callback([("url", "search")], SIGNED_IN, [_FILTERS_ON_MAP], state=[_FILTER_IDS_ON_MAP]),
    Callback(
        '{"key":["MATCH"],"type":"download"}.data',
        SIGNED_IN,
        out({"type": "download", "key": "coverage"}, "data"),
        [prop({"type": "download-btn", "key": "coverage"}, "n_clicks", 1)],
        state=[_FILTERS_ON_MAP, _FILTER_IDS_ON_MAP, prop("url", "pathname", "/dashboards/map")],
    ),
    Callback(
        '{"key":["MATCH"],"type":"download-xlsx"}.data',
        SIGNED_IN,
        out({"type": "download-xlsx", "key": "coverage"}, "data"),
        [prop({"type": "download-xlsx-btn", "key": "coverage"}, "n_clicks", 1)],
        state=[_FILTERS_ON_MAP, _FILTER_IDS_ON_MAP, prop("url", "pathname", "/dashboards/map")],
    ),
    # Coverage map.
    _callback(
        [
            ("map-graph", "figure"),
            ("map-headline", "children"),
            ("map-small", "children"),
            ("map-note", "children"),
        ],
        SIGNED_IN,
        _MAP_INPUTS,
    ),
    _callback(
        [
            (fid("year"), "value"),
            ("map-interval", "disabled"),
            ("map-play", "children"),
            ("map-play-clicks", "data"),
        ],
        SIGNED_IN,
        [prop("map-play", "n_clicks", 1), prop("map-interval", "n_intervals", None)],
        state=[
            prop(fid("year"), "value", 2010),
            prop("map-interval", "disabled", True),
            prop("map-play-clicks", "data", 0),
        ],
    ),
    _callback(
        [(fid("country"), "value")],
        SIGNED_IN,
        [
            prop("map-graph", "clickData", {"points": [{"customdata": "NL", "location": "NLD"}]}),
            [prop({"type": "small-country", "code": "MT"}, "n_clicks", None)],
        ],
    ),
    _callback(
        [("map-panel", "children")],
        SIGNED_IN,
        [prop(fid("country"), "value", "NL"), prop(fid("year"), "value", 2010)],
    ),
    # The other pages.
    _callback(
        [
            ("overview-tiles", "children"),
            ("overview-rates", "children"),
            ("overview-growth", "figure"),
            ("overview-empty", "children"),
            ("overview-kpi-table", "children"),
        ],
        SIGNED_IN,
        [prop(fid("currency"), "value", "EUR")],
    ),
    _callback(
        [
            ("p-tiles", "children"),
            ("p-status", "figure"),
            ("p-type", "figure"),
            ("p-pillar", "figure"),
            ("p-kind", "figure"),
            ("p-years", "figure"),
            ("p-renewals", "children"),
            ("partnerships-empty", "children"),
        ],
        SIGNED_IN,
        [prop(fid("status"), "value", None)],
    ),
    _callback(
        [
            ("f-years", "figure"),
            ("f-pillar-pledged", "figure"),
            ("f-pillar-received", "figure"),
            ("f-funders", "figure"),
            ("f-kinds", "figure"),
            ("funding-rates", "children"),
            ("funding-empty", "children"),
            ("f-cash", "figure"),
            ("f-cash-rates", "children"),
        ],
        SIGNED_IN,
        [
            prop(fid("from"), "value", 2020),
            prop(fid("to"), "value", 2025),
            prop(fid("currency"), "value", "EUR"),
            prop(fid("rates"), "value", "row"),
        ],
    ),
    _callback(
        [
            ("t-events", "figure"),
            ("t-participants", "figure"),
            ("t-countries", "figure"),
            ("t-hotlines", "figure"),
            ("t-feedback", "figure"),
            ("training-empty", "children"),
        ],
        SIGNED_IN,
        [
            prop(fid("from"), "value", 2020),
            prop(fid("to"), "value", 2026),
            prop(fid("kind"), "value", None),
            prop(fid("pillar"), "value", None),
        ],
    ),
    _callback(
        [("pl-progress", "figure"), ("pl-table", "children"), ("pillars-note", "children")],
        SIGNED_IN,
        [prop(fid("year"), "value", 2025)],
    ),
    _callback(
        [
            ("a-trend", "figure"),
            ("a-groups", "figure"),
            ("activity-definition", "children"),
            ("a-rates", "figure"),
        ],
        SIGNED_IN,
        [
            prop(fid("metric"), "value", "reports_received"),
            prop(fid("by"), "value", "region"),
            prop(fid("region"), "value", None),
            prop(fid("from"), "value", 2020),
            prop(fid("to"), "value", 2025),
        ],
    ),
)
