"""Partners: organizations, contacts, partnerships."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from coordapp.extensions import current_session
from coordapp.partners import service
from coordapp.partners.forms import OrganizationForm, organization_form
from coordapp.records.views import Resource, register_resource

bp = Blueprint("partners", __name__)

ORGANIZATIONS = Resource(
    slug="organizations",
    singular="organization",
    plural="Organizations",
    list_spec=service.ORGANIZATION_LIST,
    get=service.get_organization,
    form=OrganizationForm,
    form_for=organization_form,
    create=service.create_organization,
    update=service.update_organization,
    detail_template="partners/organization_detail.html",
    detail_context=service.organization_related,
)
register_resource(bp, ORGANIZATIONS)


@bp.route("/lookup/organizations")
def lookup_organizations() -> Any:
    names = service.organization_names(current_session(), prefix=request.args.get("q", ""))
    return jsonify(names)
