"""Roles, jurisdictions, data classes and permissions: who may do what, where.

Permissions are data: one enumeration named ``scope:resource:action`` and one role → permission
table (:data:`ROLE_PERMISSIONS`). Every route declares the permission it needs with
``Depends(require(Permission.X))`` or says why it is public with ``Depends(public("reason"))``;
the app factory refuses to start when a route does neither.

Separation of duties is written into the table: the system administrator manages accounts,
roles and keys but holds no record-reading permission; the auditor reads the audit log and
nothing behind it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.db import ID, Base, new_id


class DataClass(enum.IntEnum):
    """How sensitive a field is; ordered so that ``a <= b`` means "a is no more sensitive"."""

    PUBLIC = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3


def data_class(cls: DataClass) -> dict[str, DataClass]:
    """Column ``info`` declaring a field's data class: ``mapped_column(info=data_class(...))``."""
    return {"data_class": cls}


class Permission(enum.StrEnum):
    """Every permission in the product, ``scope:resource:action``, kept sorted."""

    ARMS_LICENCE_IMPORT = "arms:licence:import"
    ARMS_LICENCE_MANAGE = "arms:licence:manage"
    ARMS_LICENCE_READ = "arms:licence:read"
    ARMS_LICENCE_REVIEW = "arms:licence:review"
    AUDIT_LOG_EXPORT = "core:audit:export"
    AUDIT_LOG_READ = "core:audit:read"
    CORE_ACCOUNT_MANAGE = "core:account:manage"
    CORE_ACCOUNT_UNLOCK = "core:account:unlock"
    CORE_JURISDICTION_MANAGE = "core:jurisdiction:manage"
    CORE_KEYS_MANAGE = "core:keys:manage"
    CORE_SELF = "core:self:manage"
    FORCE_OFFICER_IMPORT = "force:officer:import"
    FORCE_OFFICER_MANAGE = "force:officer:manage"
    FORCE_OFFICER_PHOTO_READ = "force:officer_photo:read"
    FORCE_OFFICER_PHOTO_WRITE = "force:officer_photo:write"
    FORCE_OFFICER_READ = "force:officer:read"
    FORCE_STATION_MANAGE = "force:station:manage"
    FORCE_STATION_READ = "force:station:read"
    FRS_FACE_SEARCH = "frs:face:search"
    FRS_GALLERY_MANAGE = "frs:gallery:manage"
    RECORDS_CASE_READ = "records:case:read"
    RECORDS_CASE_WRITE = "records:case:write"
    RECORDS_HISTORY_SHEET_READ = "records:history_sheet:read"
    RECORDS_HISTORY_SHEET_SUPERVISE = "records:history_sheet:supervise"
    RECORDS_HISTORY_SHEET_WRITE = "records:history_sheet:write"
    RECORDS_PERSON_EXPORT = "records:person:export"
    RECORDS_PERSON_IMPORT = "records:person:import"
    RECORDS_PERSON_PHOTO_READ = "records:person_photo:read"
    RECORDS_PERSON_PHOTO_WRITE = "records:person_photo:write"
    RECORDS_PERSON_READ = "records:person:read"
    RECORDS_PERSON_WRITE = "records:person:write"
    SECURITY_ALERT_MANAGE = "security:alert:manage"
    SECURITY_ALERT_READ = "security:alert:read"
    SECURITY_DECOY_READ = "security:decoy:read"


class Role(enum.StrEnum):
    """Ranks of a state police hierarchy and the functional roles beside them."""

    CONSTABLE = "constable"
    HEAD_CONSTABLE = "head_constable"
    SUB_INSPECTOR = "sub_inspector"
    STATION_HOUSE_OFFICER = "station_house_officer"
    CIRCLE_OFFICER = "circle_officer"  # ACP / DSP
    DISTRICT_CHIEF = "district_chief"  # DCP / SP
    STATE_HQ = "state_hq"
    FRS_OPERATOR = "frs_operator"
    ARMS_LICENSING_OFFICER = "arms_licensing_officer"
    AUDITOR = "auditor"
    SECURITY_OFFICER = "security_officer"
    SYSTEM_ADMIN = "system_admin"


ROLE_TITLES: dict[Role, str] = {
    Role.CONSTABLE: "Police Constable",
    Role.HEAD_CONSTABLE: "Head Constable",
    Role.SUB_INSPECTOR: "Sub-Inspector",
    Role.STATION_HOUSE_OFFICER: "Station House Officer",
    Role.CIRCLE_OFFICER: "Circle / Division Officer (ACP/DSP)",
    Role.DISTRICT_CHIEF: "District Chief (DCP/SP)",
    Role.STATE_HQ: "State Headquarters",
    Role.FRS_OPERATOR: "Face Recognition Operator",
    Role.ARMS_LICENSING_OFFICER: "Arms Licensing Officer",
    Role.AUDITOR: "Auditor",
    Role.SECURITY_OFFICER: "Security Officer",
    Role.SYSTEM_ADMIN: "System Administrator",
}

_OFFICER = frozenset(
    {
        Permission.ARMS_LICENCE_READ,
        Permission.CORE_SELF,
        Permission.FORCE_OFFICER_READ,
        Permission.FORCE_STATION_READ,
        Permission.RECORDS_CASE_READ,
        Permission.RECORDS_HISTORY_SHEET_READ,
        Permission.RECORDS_PERSON_READ,
    }
)
_WRITER = _OFFICER | {
    Permission.RECORDS_CASE_WRITE,
    Permission.RECORDS_HISTORY_SHEET_WRITE,
    Permission.RECORDS_PERSON_WRITE,
    # Photographs are CONFIDENTIAL: those cleared for personal data see and add them.
    Permission.RECORDS_PERSON_PHOTO_READ,
    Permission.RECORDS_PERSON_PHOTO_WRITE,
    Permission.FORCE_OFFICER_PHOTO_READ,
}
#: Bulk movement of records is for those who answer for a station or more, not for every writer;
#: so is watching that history sheets are reviewed on time.
_SUPERVISOR = _WRITER | {
    Permission.RECORDS_HISTORY_SHEET_SUPERVISE,
    Permission.RECORDS_PERSON_EXPORT,
    Permission.RECORDS_PERSON_IMPORT,
}
#: The station house officer keeps the personnel records of the station's officers; district
#: command and above also keep the station profiles (address, location, who is SHO).
_STATION_COMMAND = _SUPERVISOR | {
    Permission.FORCE_OFFICER_IMPORT,
    Permission.FORCE_OFFICER_MANAGE,
    Permission.FORCE_OFFICER_PHOTO_WRITE,
}
_DISTRICT_COMMAND = _STATION_COMMAND | {Permission.FORCE_STATION_MANAGE}

#: The single role → permission table.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CONSTABLE: _OFFICER,
    Role.HEAD_CONSTABLE: _WRITER,
    Role.SUB_INSPECTOR: _WRITER,
    Role.STATION_HOUSE_OFFICER: _STATION_COMMAND,
    Role.CIRCLE_OFFICER: _STATION_COMMAND,
    Role.DISTRICT_CHIEF: _DISTRICT_COMMAND,
    Role.STATE_HQ: _DISTRICT_COMMAND,
    #: Face search is a disclosure of biometric data: only the trained operator role has it.
    #: The operator reads mugshots to enrol them and to compare candidates with the probe.
    Role.FRS_OPERATOR: _OFFICER
    | {
        Permission.FRS_FACE_SEARCH,
        Permission.FRS_GALLERY_MANAGE,
        Permission.RECORDS_PERSON_PHOTO_READ,
    },
    # The licensing officer issues, renews, suspends and cancels licences and decides the
    # suspension reviews; every other officer reads them.
    Role.ARMS_LICENSING_OFFICER: _OFFICER
    | {
        Permission.ARMS_LICENCE_MANAGE,
        Permission.ARMS_LICENCE_REVIEW,
        Permission.ARMS_LICENCE_IMPORT,
    },
    Role.AUDITOR: frozenset(
        {Permission.CORE_SELF, Permission.AUDIT_LOG_READ, Permission.AUDIT_LOG_EXPORT}
    ),
    Role.SECURITY_OFFICER: frozenset(
        {
            Permission.CORE_SELF,
            Permission.AUDIT_LOG_READ,
            Permission.CORE_ACCOUNT_UNLOCK,
            Permission.SECURITY_ALERT_MANAGE,
            Permission.SECURITY_ALERT_READ,
            Permission.SECURITY_DECOY_READ,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset(
        {
            Permission.CORE_SELF,
            Permission.CORE_ACCOUNT_MANAGE,
            Permission.CORE_ACCOUNT_UNLOCK,
            Permission.CORE_JURISDICTION_MANAGE,
            Permission.CORE_KEYS_MANAGE,
        }
    ),
}

#: The most sensitive data class each role may see inside its own jurisdiction.
ROLE_CLEARANCE: dict[Role, DataClass] = {
    Role.CONSTABLE: DataClass.RESTRICTED,
    Role.HEAD_CONSTABLE: DataClass.CONFIDENTIAL,
    Role.SUB_INSPECTOR: DataClass.CONFIDENTIAL,
    Role.STATION_HOUSE_OFFICER: DataClass.CONFIDENTIAL,
    Role.CIRCLE_OFFICER: DataClass.CONFIDENTIAL,
    Role.DISTRICT_CHIEF: DataClass.CONFIDENTIAL,
    Role.STATE_HQ: DataClass.CONFIDENTIAL,
    Role.FRS_OPERATOR: DataClass.SECRET,
    Role.ARMS_LICENSING_OFFICER: DataClass.CONFIDENTIAL,
    Role.AUDITOR: DataClass.PUBLIC,
    Role.SECURITY_OFFICER: DataClass.PUBLIC,
    Role.SYSTEM_ADMIN: DataClass.PUBLIC,
}

#: Roles whose sessions get the administrator's shorter timeouts.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_OFFICER, Role.AUDITOR})

#: Roles whose account must post the officer somewhere in the jurisdiction tree.
FIELD_ROLES = frozenset(
    {
        Role.CONSTABLE,
        Role.HEAD_CONSTABLE,
        Role.SUB_INSPECTOR,
        Role.STATION_HOUSE_OFFICER,
        Role.CIRCLE_OFFICER,
        Role.DISTRICT_CHIEF,
        Role.STATE_HQ,
        Role.FRS_OPERATOR,
        Role.ARMS_LICENSING_OFFICER,
    }
)


def permissions_for(roles: frozenset[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def clearance_for(roles: frozenset[Role]) -> DataClass:
    return max((ROLE_CLEARANCE[r] for r in roles), default=DataClass.PUBLIC)


class JurisdictionKind(enum.StrEnum):
    """Levels of the jurisdiction tree, from the top."""

    STATE = "state"
    ZONE = "zone"  # zone or commissionerate
    DISTRICT = "district"
    DIVISION = "division"
    CIRCLE = "circle"
    STATION = "station"


JURISDICTION_ORDER = list(JurisdictionKind)


class Jurisdiction(Base):
    """A node of the jurisdiction tree; ``path`` is the materialised ancestry for subtree reads."""

    __tablename__ = "jurisdictions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(ID, ForeignKey("jurisdictions.id"))
    #: "/<root id>/.../<own id>/" so that a subtree is ``path LIKE '<ancestor path>%'``.
    path: Mapped[str] = mapped_column(String(1000), index=True)


class Posting(Base):
    """An account's posting in the jurisdiction tree, from a date, until a date or still open."""

    __tablename__ = "postings"
    __table_args__ = (Index("ix_postings_account_open", "account_id", "ended_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"))
    jurisdiction_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Actor:
    """The human behind a request or a CLI command, with what they may do and where."""

    account_id: str | None
    username: str
    roles: frozenset[Role] = frozenset()
    #: Materialised paths of the jurisdictions the actor is posted to.
    jurisdiction_paths: tuple[str, ...] = ()
    session_id: str | None = None
    client_addr: str | None = None
    restricted: bool = False  # still on an initial password or without TOTP: may only fix that
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.restricted:
            return frozenset({Permission.CORE_SELF})
        return permissions_for(self.roles)

    @property
    def clearance(self) -> DataClass:
        return clearance_for(self.roles)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def covers(self, jurisdiction_path: str | None) -> bool:
        """Whether a record filed under ``jurisdiction_path`` is inside the actor's subtree."""
        if jurisdiction_path is None:
            return False
        return any(jurisdiction_path.startswith(p) for p in self.jurisdiction_paths)

    @property
    def is_admin_kind(self) -> bool:
        return bool(self.roles & ADMIN_ROLES)


SYSTEM_ACTOR = Actor(account_id=None, username="system")
