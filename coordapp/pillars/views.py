"""Pages of the pillars domain: the yearly targets (records workspace)."""

from __future__ import annotations

from flask import Blueprint

from coordapp.pillars import service
from coordapp.pillars.forms import pillar_target_form
from coordapp.records import pages
from coordapp.records.views import Resource

bp = Blueprint("pillars", __name__)

PILLAR_TARGETS = Resource(
    singular="pillar target",
    plural="Pillar targets",
    list_spec=service.PILLAR_TARGET_LIST,
    form=pillar_target_form,
    create=service.create_pillar_target,
    update=service.update_pillar_target,
    detail_template="pillars/pillar_target_detail.html",
    detail_context=service.pillar_target_related,
    new_defaults=service.pillar_target_defaults,
)
pages.register(
    bp,
    PILLAR_TARGETS,
    "pillar_targets_list",
    "pillar_targets_detail",
    "pillar_targets_new",
    "pillar_targets_edit",
    "pillar_targets_archive",
    "pillar_targets_restore",
)
