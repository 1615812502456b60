"""All models, imported here so Alembic and the app see the whole schema."""

from app.models.identity import ApiToken, Role, RoleGrant, Team, TokenScope, User
from app.models.records import AuditAction, AuditEntry, CustomField, FieldType, Tag, Tagging

__all__ = [
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
