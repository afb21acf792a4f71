"""Who may do what: roles of API tokens."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    AUDITOR = "auditor"
    ADMIN = "admin"


READ_ROLES = frozenset(Role)
WRITE_ROLES = frozenset({Role.EDITOR, Role.ADMIN})
AUDIT_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
