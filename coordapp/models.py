"""Imports every model module so that metadata (and Alembic autogenerate) sees the whole schema.

Import the models themselves from their domain (``coordapp.<domain>.models``); this module
only makes sure every mapper is known before any is used.
"""

from coordapp import data_version
from coordapp.audit import models as audit_models
from coordapp.auth import models as auth_models
from coordapp.digest import models as digest_models
from coordapp.funding import models as funding_models
from coordapp.imports import models as imports_models
from coordapp.network import compliance_models
from coordapp.network import models as network_models
from coordapp.partners import interaction_models
from coordapp.partners import models as partners_models
from coordapp.pillars import models as pillars_models
from coordapp.reference import models as reference_models
from coordapp.stats import models as stats_models
from coordapp.training import models as training_models

MODEL_MODULES = (
    audit_models,
    auth_models,
    compliance_models,
    data_version,
    digest_models,
    funding_models,
    imports_models,
    interaction_models,
    network_models,
    partners_models,
    pillars_models,
    reference_models,
    stats_models,
    training_models,
)
