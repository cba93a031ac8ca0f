"""The SMSC link the delivery workers bind to, kept in the database with its password sealed.

Why sealed in the database rather than an environment variable: the bind password is a
credential to send SMS in the force's name, the very thing the 2024 breach handed out. Sealed
(AES-256-GCM under a per-record data key wrapped by the key-encryption key), it is unreadable
in a database dump or backup without the key files, follows ``kotwal keys rotate``, is set by
a named headquarters officer through an audited command, and never sits in a process's
environment, where ``/proc/<pid>/environ``, a crash report or a support bundle would show it
to anyone who can read them. Only the worker opens it, just before it binds, and keeps it in
memory; no log line, audit detail or error carries it. Issue 20's channels (item 7) will hang
their owner, expiry and heartbeat on this same row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field
from sqlalchemy import select

from kotwal.alerts import channels
from kotwal.alerts.models import AlertSmsc
from kotwal.alerts.permissions import AlertsPermission
from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_field
from kotwal.core.errors import InvalidInput, NotFound
from kotwal.core.policy import SYSTEM_ACTOR, Actor
from kotwal.core.runtime import Runtime
from kotwal.core.schemas import Input
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork

ACTIVE = "active"
DEFAULT_NAME = "primary"


class SmscIn(Input):
    """Where and how to bind (the password is given apart, never in a file)."""

    name: str = Field(default=DEFAULT_NAME, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(ge=1, le=65535)
    system_id: str = Field(min_length=1, max_length=15)
    system_type: str = Field(default="", max_length=12)
    #: The telemarketer chain ID DLT registered for this route (sent as a TLV on every part).
    chain_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    binds: int = Field(default=2, ge=1, le=16)
    window: int = Field(default=10, ge=1, le=500)


@dataclass(frozen=True)
class SmscLink:
    """The link as a worker uses it; ``password`` is plaintext and never printed."""

    name: str
    host: str
    port: int
    system_id: str
    system_type: str
    chain_id: str
    binds: int
    window: int
    password: str = field(repr=False)


def configure(uow: UnitOfWork, actor: Actor, data: SmscIn, password: str) -> AlertSmsc:
    """Create or replace the link named ``data.name`` (headquarters only; audited without the
    password)."""
    require(actor, AlertsPermission.TEMPLATE_MANAGE)
    if not 1 <= len(password) <= 8:
        # SMPP 3.4 carries at most 8 characters of password (a 9-octet C string).
        raise InvalidInput("an SMPP password is 1 to 8 characters")
    row = uow.session.execute(
        select(AlertSmsc).where(AlertSmsc.name == data.name)
    ).scalar_one_or_none()
    if row is None:
        row = AlertSmsc(name=data.name)
        uow.session.add(row)
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    row.password = password
    row.status = ACTIVE
    row.updated_by_name = actor.username
    row.updated_at = utcnow()
    uow.session.flush()
    channels.ensure(uow, channels.smpp_channel(data.name), channels.SMPP, actor.username)
    uow.audit(
        actor_event(
            actor,
            "alert_smsc.set",
            Outcome.SUCCESS,
            resource_type="alert_smsc",
            resource_id=row.id,
            detail={
                "name": data.name,
                "host": data.host,
                "port": data.port,
                "system_id": data.system_id,
                "binds": data.binds,
                "window": data.window,
            },
        )
    )
    return row


def load(runtime: Runtime, name: str = DEFAULT_NAME, opener: Actor = SYSTEM_ACTOR) -> SmscLink:
    """The active link named ``name``, its password opened (for the worker only). Each opening
    is audited with who opened it (a worker acts as the operator who started it), so that the
    audit log answers who held the gateway's password and when."""
    with UnitOfWork(runtime, write=False) as uow:
        row = uow.session.execute(
            select(AlertSmsc).where(AlertSmsc.name == name, AlertSmsc.status == ACTIVE)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no active SMSC link named {name!r} (kotwal alerts smsc set)")
        uow.audit(
            actor_event(
                opener,
                "alert_smsc.opened",
                Outcome.SUCCESS,
                resource_type="alert_smsc",
                resource_id=row.id,
                detail={"name": row.name},
            )
        )
        return SmscLink(
            name=row.name,
            host=row.host,
            port=row.port,
            system_id=row.system_id,
            system_type=row.system_type,
            chain_id=row.chain_id,
            binds=row.binds,
            window=row.window,
            password=str(open_field(uow.session, row, "password")),
        )
