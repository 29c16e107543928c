"""What the importer (``coordapp/imports``) still reads from here; everything else lives in the
network's modules: ``membership`` (status on a date, history), ``coverage`` (coverage of the
world on a date, the headline figures), ``pipeline`` (the expansion pipeline on a date),
``expansion`` (expansion targets), ``hotlines`` (hotline records), ``countries`` (country pages),
``lists`` and ``display`` (how the pages show them).

Kept only until the importer imports from those modules itself.
"""

from coordapp.network.hotlines import (
    create_hotline,
    hotline_by_name,
    hotline_name_key,
    hotlines_by_names,
    update_hotline,
)
from coordapp.network.membership import add_membership_events

__all__ = [
    "add_membership_events",
    "create_hotline",
    "hotline_by_name",
    "hotline_name_key",
    "hotlines_by_names",
    "update_hotline",
]
