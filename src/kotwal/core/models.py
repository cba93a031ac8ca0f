"""Tables of the security kernel other than policy's (identity, audit, keys).

They sit in one module so that the kernel's schema can be read in one place; the services that
own them are ``identity``, ``audit`` and ``crypto``. Nothing outside ``core`` imports this.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from kotwal.core.columns import stamped
from kotwal.core.db import ID, Base, new_id
from kotwal.core.policy import DataClass
from kotwal.core.sealed import Encrypted


class Account(Base):
    """A human who logs in: an officer or a functional user. Never a shared service account."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Set while the account holds a password someone else chose (init, admin reset).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The TOTP secret, encrypted (SECRET) with the account's data key; None until enrolled.
    totp_secret: Mapped[Any] = mapped_column(Encrypted(DataClass.SECRET), nullable=True)
    totp_pending: Mapped[Any] = mapped_column(Encrypted(DataClass.SECRET), nullable=True)
    #: The last TOTP time step accepted: a code is single use, so steps must increase.
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: A hard lock is lifted only by an unlock (administrator or security officer), audited.
    hard_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Suspended by the breach defences (a disclosure budget's hard limit, a decoy opened)
    #: pending a security officer's review; only their audited lift ends it, not an unlock.
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = stamped()
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The language of the console's labels for this officer ("en", "te"); their own choice.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")


class AccountRole(Base):
    """One role held by one account (the grant; what a role may do is in policy's table)."""

    __tablename__ = "account_roles"
    __table_args__ = (UniqueConstraint("account_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))


class AuthSession(Base):
    """A server-side session or API token. Only the SHA-256 of the token is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "console" | "api"
    #: True while the holder still has to change an initial password or enrol TOTP.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = stamped()
    last_seen_at: Mapped[datetime] = stamped()
    idle_seconds: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    #: Set when the session crossed a soft disclosure limit: it may do nothing but re-enter
    #: a TOTP code (step-up) until ``stepped_up_at`` is set.
    step_up_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    stepped_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PowerRequest(Base):
    """A change of power over accounts that waits for a second officer: an account created,
    a role granted, a posting widened above a station, a disabled account enabled. Asked by an
    administrator, decided by a security officer who is not the asker, before it expires."""

    __tablename__ = "power_requests"
    __table_args__ = (Index("ix_power_requests_state", "state", "expires_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    #: create, roles, post or enable
    kind: Mapped[str] = mapped_column(String(16))
    #: The account changed; for ``create``, set when the account is made at approval.
    account_id: Mapped[str | None] = mapped_column(ID, ForeignKey("accounts.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(200))
    #: The roles asked for, comma-separated (the whole set, as ``set_roles`` takes it).
    roles: Mapped[str | None] = mapped_column(String(400))
    jurisdiction_id: Mapped[str | None] = mapped_column(ID, ForeignKey("jurisdictions.id"))
    reason: Mapped[str] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"))
    requested_at: Mapped[datetime] = stamped()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: pending, approved or refused (an expired request stays pending and is refused on use)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(ID, ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(300))


class LoginThrottle(Base):
    """Failed logins in the current window per client address, and per address and typed
    username (``client_addr`` then holds ``pair:`` and a keyed hash of the two; per-account
    counts live on the account)."""

    __tablename__ = "login_throttle"

    client_addr: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)


class AuditEventRow(Base):
    """One event of the append-only, hash-chained audit log. Never the record's content."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_actor_at", "actor_id", "at_us"),
        Index("ix_audit_events_resource", "resource_type", "resource_id"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: Microseconds since the Unix epoch, UTC; an integer so the hash is portable.
    at_us: Mapped[int] = mapped_column(BigInteger, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(300))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    #: Small JSON object (canonical form) of flags and counts, e.g. {"out_of_jurisdiction":true}.
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256 of ``hash`` under the audit MAC key (outside the database), 32 hex digits;
    #: NULL only on events written before migration 0025.
    mac: Mapped[str | None] = mapped_column(String(32))


class AuditHead(Base):
    """The chain head, one row; appenders lock it so the chain stays linear on PostgreSQL."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """An Ed25519 signature over the chain head at ``seq``; can be copied to a witness file."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    at_us: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class DataKey(Base):
    """A record's data key, wrapped (AES-256-GCM) by a key-encryption key that is not here.

    Deleting a record's data key shreds every encrypted field of that record at once.
    """

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("table_name", "row_id"),)

    #: Random, so that a record re-keyed after shredding never reuses associated data.
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(64))
    kek_version: Mapped[int] = mapped_column(Integer, index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = stamped()


class KeyVersion(Base):
    """Which KEK versions exist and which one wraps new data keys, so that a running server
    notices a rotation started by ``kotwal keys rotate`` in another process."""

    __tablename__ = "key_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(16))  # active | retiring | retired
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = stamped()
