"""Roles, jurisdictions, data classes and permissions: who may do what, where.

Permissions are data: enumerations named ``scope:resource:action`` (the kernel's here, each
domain's in its package) and one role → permission table (:data:`POLICY`), the kernel's rows
below and each domain's from its manifest. Every route declares the permission it needs with
``Depends(require(Permission.X))`` or says why it is public with ``Depends(public("reason"))``;
the app factory refuses to start when a route does neither.

Separation of duties is written into the table: the system administrator manages accounts,
roles and keys but holds no record-reading permission; the auditor reads the audit log and
nothing behind it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.clock import utcnow
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
    """The kernel's permissions, ``scope:resource:action``, kept sorted. Each domain declares its
    own in its ``permissions`` module (e.g. ``kotwal.records.permissions.RecordsPermission``) and
    grants them in its manifest; a permission is checked by its string value, whoever owns it."""

    AUDIT_LOG_EXPORT = "core:audit:export"
    AUDIT_LOG_READ = "core:audit:read"
    CORE_ACCOUNT_MANAGE = "core:account:manage"
    CORE_ACCOUNT_UNLOCK = "core:account:unlock"
    CORE_JURISDICTION_MANAGE = "core:jurisdiction:manage"
    CORE_KEYS_MANAGE = "core:keys:manage"
    CORE_POWER_APPROVE = "core:power:approve"
    CORE_SELF = "core:self:manage"


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

#: Groups of roles by what they answer for; domains grant their permissions to these groups
#: (every officer reads; writers file; station command supervises and moves records in bulk;
#: district command keeps station profiles) or to a functional role.
OFFICERS = frozenset(
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
WRITERS = frozenset(
    {
        Role.HEAD_CONSTABLE,
        Role.SUB_INSPECTOR,
        Role.STATION_HOUSE_OFFICER,
        Role.CIRCLE_OFFICER,
        Role.DISTRICT_CHIEF,
        Role.STATE_HQ,
    }
)
STATION_COMMAND = frozenset(
    {Role.STATION_HOUSE_OFFICER, Role.CIRCLE_OFFICER, Role.DISTRICT_CHIEF, Role.STATE_HQ}
)
DISTRICT_COMMAND = frozenset({Role.DISTRICT_CHIEF, Role.STATE_HQ})


@dataclass(frozen=True)
class Grant:
    """Permissions given to every role of a group: one row of the role → permission table."""

    roles: frozenset[Role]
    permissions: frozenset[str]


def grant(roles: Role | frozenset[Role], *permissions: enum.StrEnum) -> Grant:
    """``grant(WRITERS, RecordsPermission.PERSON_WRITE, ...)``: a row for a manifest."""
    group = frozenset({roles}) if isinstance(roles, Role) else roles
    return Grant(group, frozenset(str(p) for p in permissions))


#: The kernel's own rows. Separation of duties is written here: the system administrator
#: manages accounts, roles and keys but holds no record-reading permission; the auditor reads
#: the audit log and nothing behind it.
KERNEL_GRANTS: tuple[Grant, ...] = (
    grant(OFFICERS, Permission.CORE_SELF),
    grant(Role.AUDITOR, Permission.CORE_SELF, Permission.AUDIT_LOG_READ),
    grant(Role.AUDITOR, Permission.AUDIT_LOG_EXPORT),
    grant(
        Role.SECURITY_OFFICER,
        Permission.CORE_SELF,
        Permission.AUDIT_LOG_READ,
        Permission.CORE_ACCOUNT_UNLOCK,
        Permission.CORE_POWER_APPROVE,
    ),
    grant(
        Role.SYSTEM_ADMIN,
        Permission.CORE_SELF,
        Permission.CORE_ACCOUNT_MANAGE,
        Permission.CORE_ACCOUNT_UNLOCK,
        Permission.CORE_JURISDICTION_MANAGE,
        Permission.CORE_KEYS_MANAGE,
    ),
)


class PolicyTable:
    """The single role → permission table: the kernel's rows plus each domain's, added once per
    domain when :mod:`kotwal.domains` loads the manifests (importing ``kotwal`` does that)."""

    def __init__(self, kernel: tuple[Grant, ...]) -> None:
        self._rows: dict[str, tuple[Grant, ...]] = {"core": kernel}
        self._memo: dict[frozenset[Role], frozenset[str]] = {}

    def add(self, source: str, rows: tuple[Grant, ...]) -> None:
        """Add a domain's rows; adding the same domain again replaces them."""
        self._rows[source] = rows
        self._memo.clear()

    def permissions_for(self, roles: frozenset[Role]) -> frozenset[str]:
        found = self._memo.get(roles)
        if found is None:
            granted: set[str] = set()
            for rows in self._rows.values():
                for row in rows:
                    if roles & row.roles:
                        granted |= row.permissions
            found = self._memo[roles] = frozenset(granted)
        return found

    def table(self) -> dict[Role, frozenset[str]]:
        """Every role with its permissions (for the console, tests and the self-check)."""
        return {role: self.permissions_for(frozenset({role})) for role in Role}


POLICY = PolicyTable(KERNEL_GRANTS)


def role_permissions(role: Role) -> frozenset[str]:
    return POLICY.permissions_for(frozenset({role}))


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

#: Roles whose account must post the officer somewhere in the jurisdiction tree: every officer.
FIELD_ROLES = OFFICERS


def permissions_for(roles: frozenset[Role]) -> frozenset[str]:
    return POLICY.permissions_for(roles)


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


_PUBLIC = data_class(DataClass.PUBLIC)


class Jurisdiction(Base):
    """A node of the jurisdiction tree; ``path`` is the materialised ancestry for subtree reads.

    Every column is PUBLIC: the force's units, their names and codes are what a station's
    signboard and a public alert's area say (a column without a class would count as SECRET)."""

    __tablename__ = "jurisdictions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id, info=_PUBLIC)
    code: Mapped[str] = mapped_column(String(32), unique=True, info=_PUBLIC)
    name: Mapped[str] = mapped_column(String(200), info=_PUBLIC)
    kind: Mapped[str] = mapped_column(String(16), info=_PUBLIC)
    parent_id: Mapped[str | None] = mapped_column(ID, ForeignKey("jurisdictions.id"), info=_PUBLIC)
    #: "/<root id>/.../<own id>/" so that a subtree is ``path LIKE '<ancestor path>%'``.
    path: Mapped[str] = mapped_column(String(1000), index=True, info=_PUBLIC)


class Posting(Base):
    """An account's posting in the jurisdiction tree, from a date, until a date or still open."""

    __tablename__ = "postings"
    __table_args__ = (Index("ix_postings_account_open", "account_id", "ended_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"))
    jurisdiction_id: Mapped[str] = mapped_column(ID, ForeignKey("jurisdictions.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
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
    #: The language the officer reads the console in (a code such as "en" or "te").
    language: str = "en"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def permissions(self) -> frozenset[str]:
        if self.restricted:
            return frozenset({Permission.CORE_SELF.value})
        return permissions_for(self.roles)

    @property
    def clearance(self) -> DataClass:
        return clearance_for(self.roles)

    def can(self, permission: str) -> bool:
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
