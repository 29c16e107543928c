"""What the importer (``coordapp/imports``) still reads from here; everything else lives in the
partners' modules: ``organizations``, ``contacts`` (with personal data export and erasure),
``agreements`` (in force, status on a day, renewals due: one definition per figure),
``partnerships`` (agreement records and their status moves), ``lists`` (how the lists show
them).

Kept only until the importer imports from those modules itself.
"""

from coordapp.partners.contacts import create_contact, update_contact
from coordapp.partners.organizations import (
    create_organization,
    organization_id_by_name,
    organization_name_key,
    organizations_by_names,
    update_organization,
)
from coordapp.partners.partnerships import (
    create_partnership,
    partnership_by_title,
    update_partnership,
)

__all__ = [
    "create_contact",
    "create_organization",
    "create_partnership",
    "organization_id_by_name",
    "organization_name_key",
    "organizations_by_names",
    "partnership_by_title",
    "update_contact",
    "update_organization",
    "update_partnership",
]
