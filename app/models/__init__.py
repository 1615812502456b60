"""All models, imported here so Alembic and the app see the whole schema."""

from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.customers import (
    AddressKind,
    Contact,
    CreditRatingChange,
    Customer,
    CustomerAddress,
    CustomerSize,
    CustomerStatus,
    Rating,
    SavedView,
)
from app.models.identity import ApiToken, Role, RoleGrant, Team, TokenScope, User
from app.models.records import (
    AuditAction,
    AuditEntry,
    CustomField,
    DataImport,
    FieldType,
    ImportStatus,
    Tag,
    Tagging,
)

__all__ = [
    "Activity",
    "ActivityKind",
    "ActivityStatus",
    "AddressKind",
    "Contact",
    "CreditRatingChange",
    "Customer",
    "CustomerAddress",
    "CustomerSize",
    "CustomerStatus",
    "DataImport",
    "ImportStatus",
    "Rating",
    "SavedView",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "CustomField",
    "FieldType",
    "Role",
    "RoleGrant",
    "Tag",
    "Tagging",
    "Team",
    "TokenScope",
    "User",
]
