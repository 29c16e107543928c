"""Imports every model so that metadata (and Alembic autogenerate) sees the whole schema."""

from coordapp.audit.models import AuditEvent
from coordapp.auth.models import ApiToken, Role, User
from coordapp.data_version import DataVersion
from coordapp.funding.models import (
    CommitmentStatus,
    CommitmentStatusEvent,
    ExchangeRate,
    FigurePart,
    FundingAllocation,
    FundingCommitment,
    FundingFunderTotal,
    FundingReceipt,
    FundingYearTotal,
)
from coordapp.imports.models import ImportColumnMapping
from coordapp.network.models import (
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
    Priority,
    hotline_countries,
)
from coordapp.partners.models import (
    Contact,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipStatus,
    PartnershipType,
    partnership_pillars,
)
from coordapp.pillars.models import PillarTarget
from coordapp.reference.models import Country, Currency, MetricDefinition, MetricUnit, Pillar
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, PeriodKind, QuarterState
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CommitmentStatus",
    "CommitmentStatusEvent",
    "Contact",
    "Country",
    "Currency",
    "DataVersion",
    "DeliveryMode",
    "ExchangeRate",
    "ExpansionStage",
    "ExpansionStageEvent",
    "ExpansionTarget",
    "FigurePart",
    "FundingAllocation",
    "FundingCommitment",
    "FundingFunderTotal",
    "FundingReceipt",
    "FundingYearTotal",
    "Hotline",
    "HotlineMembershipEvent",
    "HotlineQuarter",
    "HotlineStatistic",
    "ImportColumnMapping",
    "MembershipStatus",
    "MetricDefinition",
    "MetricUnit",
    "Organization",
    "OrganizationKind",
    "OrganizationStatus",
    "Partnership",
    "PartnershipStatus",
    "PartnershipType",
    "PeriodKind",
    "Pillar",
    "PillarTarget",
    "Priority",
    "QuarterState",
    "Role",
    "TrainingEvent",
    "TrainingKind",
    "TrainingParticipation",
    "User",
    "hotline_countries",
    "partnership_pillars",
]
