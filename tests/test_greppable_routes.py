"""Every endpoint can be found by its name: searching the source for ``commitments_detail``
finds the line that registers ``funding.commitments_detail`` (no names built from f-strings)."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from flask import Flask

from coordapp.funding.views import STATUS_CHANGE


def _written_out(name: str, source: str) -> bool:
    """``name`` as a string literal (a route table) or as a view function's name."""
    return bool(re.search(rf"""["']{re.escape(name)}["']|\bdef {re.escape(name)}\(""", source))


def test_every_endpoint_name_is_written_out_in_its_blueprints_module(app: Flask) -> None:
    checked, missing = 0, []
    for endpoint in sorted({rule.endpoint for rule in app.url_map.iter_rules()}):
        blueprint_name, _, name = endpoint.rpartition(".")
        blueprint = app.blueprints.get(blueprint_name)
        if blueprint is None or not blueprint.import_name.startswith("coordapp."):
            continue  # Flask's and Bootstrap's static files, Dash's own routes
        source = inspect.getsource(importlib.import_module(blueprint.import_name))
        checked += 1
        if not _written_out(name, source):
            missing.append(f"{endpoint} (in {blueprint.import_name})")
    assert checked > 130
    assert missing == []


def test_the_check_finds_a_name_built_from_parts() -> None:
    source = 'bp.add_url_rule(f"/{slug}/<id:record_id>", f"{prefix}_detail", view)'
    assert not _written_out("commitments_detail", source)
    assert _written_out("commitments_detail", '("/commitments/<id:x>", Page, "commitments_detail")')
    assert _written_out("health", "def health() -> Any:")


def test_a_record_page_is_registered_only_under_the_name_its_templates_link_to() -> None:
    from flask import Blueprint

    from coordapp.auth.views import USERS
    from coordapp.partners.views import ORGANIZATIONS
    from coordapp.pillars.views import PILLAR_TARGETS
    from coordapp.records import pages

    bp = Blueprint("elsewhere", __name__)
    with pytest.raises(ValueError, match="organizations_detail"):
        pages.register(bp, ORGANIZATIONS, "organization")
    with pytest.raises(ValueError, match="sub-action"):
        pages.register(bp, PILLAR_TARGETS, ("/p/<id:record_id>/x", STATUS_CHANGE, "status"))
    with pytest.raises(ValueError, match="no archive page"):
        pages.register(bp, USERS, "users_archive")
