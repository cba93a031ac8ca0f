"""Channels that switch themselves off: every way the alerts reach the public has an owner, an
expiry and a heartbeat of real use.

The 2024 alert portal had been "defunct since 2022" and was still online. Here a channel (an
SMPP link, ``smpp:<name>``; the public feed and verification pages, ``public-feed``) is live
only while

- it is before its expiry (``KOTWAL_ALERT_CHANNEL_DAYS`` after it was made or last renewed),
- and it was really used within ``KOTWAL_ALERT_CHANNEL_IDLE_DAYS``: a part the SMSC accepted,
  a public page served.

Past either, it is disabled: its public routes answer 404 and its workers claim nothing. The
test is made whenever the channel is used, so a dead channel is dead at once, not at the next
sweep; :func:`sweep` writes the state down (and audits it) for the console and the security
check. Disabling is one officer's act and takes effect at once; enabling or renewing takes two:
one asks (with the owner and how many days), another approves within the alerts' approval
window (``KOTWAL_ALERT_APPROVAL_MINUTES``). ``kotwal security check`` lists every channel and
fails on a live one past its expiry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from kotwal.alerts.config import alert_settings
from kotwal.alerts.models import AlertChannel
from kotwal.alerts.permissions import AlertsPermission
from kotwal.core.audit import AuditEvent, Outcome, actor_event
from kotwal.core.checks import Finding
from kotwal.core.clock import as_utc, utcnow
from kotwal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from kotwal.core.policy import Actor
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork

LIVE, DISABLED = "live", "disabled"
PUBLIC_FEED = "public-feed"
SMPP, FEED = "smpp", "public-feed"
#: A heartbeat is written at most this often per channel (a public page is not a write each).
HEARTBEAT_SECONDS = 3600.0
#: How long a process trusts what it last read of a channel.
CACHE_SECONDS = 5.0


def smpp_channel(link_name: str) -> str:
    """The channel of an SMPP link."""
    return f"smpp:{link_name}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a channel may be used now, and if not why."""

    live: bool
    reason: str | None = None


def judge(channel: AlertChannel | None, now: datetime | None = None) -> Verdict:
    """A channel's state now: disabled by an officer, past its expiry, or idle too long. A
    channel not made yet is live: nothing has gone through it to stop."""
    if channel is None:
        return Verdict(True)
    if channel.status != LIVE:
        return Verdict(False, channel.disabled_reason or "officer")
    moment = now or utcnow()
    if as_utc(channel.expires_at) <= moment:
        return Verdict(False, "expired")
    idle = timedelta(days=alert_settings().channel_idle_days)
    if as_utc(channel.last_used_at) + idle <= moment:
        return Verdict(False, "idle")
    return Verdict(True)


def find(uow: UnitOfWork, name: str) -> AlertChannel | None:
    """The channel called ``name``."""
    return uow.session.execute(
        select(AlertChannel).where(AlertChannel.name == name)
    ).scalar_one_or_none()


def ensure(uow: UnitOfWork, name: str, kind: str, owner: str) -> AlertChannel:
    """The channel called ``name``, made live (owned by ``owner``, for the default period) if
    there is none: an SMPP link when headquarters sets it, the feed at the first approval."""
    channel = find(uow, name)
    if channel is None:
        now = utcnow()
        channel = AlertChannel(
            name=name,
            kind=kind,
            owner_name=owner,
            expires_at=now + timedelta(days=alert_settings().channel_days),
            last_used_at=now,
            status=LIVE,
        )
        uow.session.add(channel)
        uow.session.flush()
    return channel


# --- use -----------------------------------------------------------------------------------

_cache: dict[tuple[int, str], tuple[float, Verdict]] = {}
_beats: dict[tuple[int, str], float] = {}
_lock = threading.Lock()


def is_live(runtime: Runtime, name: str) -> Verdict:
    """Whether ``name`` may be used (read at most every few seconds per process)."""
    key, clock = (id(runtime), name), time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and clock - cached[0] < CACHE_SECONDS:
        return cached[1]
    with UnitOfWork(runtime, write=False) as uow:
        verdict = judge(find(uow, name))
    with _lock:
        _cache[key] = (clock, verdict)
    return verdict


def forget_cache() -> None:
    """Drop what this process remembers of channels (after an officer changes one)."""
    with _lock:
        _cache.clear()
        _beats.clear()


def heartbeat(runtime: Runtime, name: str) -> None:
    """Record real use of ``name``, at most once an hour per process (a live channel only: a
    heartbeat never brings a dead one back)."""
    key, clock = (id(runtime), name), time.monotonic()
    with _lock:
        last = _beats.get(key)
        if last is not None and clock - last < HEARTBEAT_SECONDS:
            return
        _beats[key] = clock
    now = utcnow()
    with UnitOfWork(runtime, write=True) as uow:
        channel = find(uow, name)
        if channel is not None and judge(channel, now).live:
            uow.session.execute(
                update(AlertChannel).where(AlertChannel.id == channel.id).values(last_used_at=now)
            )


# --- officers ------------------------------------------------------------------------------


def _channel(uow: UnitOfWork, name: str) -> AlertChannel:
    channel = find(uow, name)
    if channel is None:
        raise NotFound(f"no channel {name!r}")
    return channel


def _event(
    actor: Actor,
    action: str,
    channel: AlertChannel,
    outcome: str = Outcome.SUCCESS,
    **detail: str | int | None,
) -> AuditEvent:
    return actor_event(
        actor,
        action,
        outcome,
        resource_type="alert_channel",
        resource_id=channel.id,
        detail={"name": channel.name, **detail},
    )


def disable(uow: UnitOfWork, actor: Actor, name: str) -> AlertChannel:
    """Switch a channel off at once (one officer suffices to stop)."""
    require(actor, AlertsPermission.CHANNEL_MANAGE)
    channel = _channel(uow, name)
    _set_disabled(channel, "officer", utcnow())
    uow.audit(_event(actor, "alert_channel.disabled", channel, reason="officer"))
    forget_cache()
    return channel


def _set_disabled(channel: AlertChannel, reason: str, now: datetime) -> None:
    channel.status, channel.disabled_reason, channel.disabled_at = DISABLED, reason, now
    channel.requested_by = channel.requested_by_name = None
    channel.requested_at = channel.requested_expires_at = None
    channel.requested_owner = None
    channel.updated_at = now


def request_enable(uow: UnitOfWork, actor: Actor, name: str, owner: str, days: int) -> AlertChannel:
    """Ask for a channel to be enabled (or renewed) for ``days``, answered for by ``owner``;
    a second officer must approve."""
    require(actor, AlertsPermission.CHANNEL_MANAGE)
    limit = alert_settings().channel_days
    if not 1 <= days <= limit:
        raise InvalidInput(f"a channel is enabled for 1 to {limit} days")
    if not owner.strip() or len(owner) > 64:
        raise InvalidInput("name the officer who answers for the channel (a username)")
    channel = _channel(uow, name)
    now = utcnow()
    channel.requested_by, channel.requested_by_name = actor.account_id, actor.username
    channel.requested_at, channel.requested_owner = now, owner.strip()
    channel.requested_expires_at = now + timedelta(days=days)
    channel.updated_at = now
    uow.audit(_event(actor, "alert_channel.enable_requested", channel, days=days, owner=owner))
    return channel


def approve_enable(uow: UnitOfWork, actor: Actor, name: str) -> AlertChannel:
    """Approve another officer's request: the channel is live again, its heartbeat now."""
    require(actor, AlertsPermission.CHANNEL_MANAGE)
    channel = _channel(uow, name)
    action = "alert_channel.enabled"
    if channel.requested_at is None or channel.requested_expires_at is None:
        raise Conflict("nobody has asked for this channel to be enabled")
    asker = (channel.requested_by, channel.requested_by_name)
    if asker == (actor.account_id, actor.username) or (
        actor.account_id is not None and channel.requested_by == actor.account_id
    ):
        uow.record_now([_event(actor, action, channel, Outcome.DENIED, reason="requester")])
        raise Forbidden("the officer who asked cannot approve; a second officer must")
    now = utcnow()
    window = timedelta(minutes=alert_settings().approval_minutes)
    if as_utc(channel.requested_at) + window < now:
        uow.record_now([_event(actor, action, channel, Outcome.DENIED, reason="expired")])
        raise Conflict("the request has expired; ask again")
    channel.status, channel.disabled_reason, channel.disabled_at = LIVE, None, None
    channel.owner_name = channel.requested_owner or channel.owner_name
    channel.expires_at, channel.last_used_at = channel.requested_expires_at, now
    uow.audit(
        _event(
            actor,
            action,
            channel,
            requested_by=channel.requested_by_name,
            owner=channel.owner_name,
        )
    )
    channel.requested_by = channel.requested_by_name = None
    channel.requested_at = channel.requested_expires_at = None
    channel.requested_owner = None
    channel.updated_at = now
    forget_cache()
    return channel


def listing(uow: UnitOfWork, actor: Actor) -> list[dict[str, object]]:
    """Every channel with its state now."""
    require(actor, AlertsPermission.CHANNEL_MANAGE)
    return [
        view(c)
        for c in uow.session.execute(select(AlertChannel).order_by(AlertChannel.name)).scalars()
    ]


def view(channel: AlertChannel, now: datetime | None = None) -> dict[str, object]:
    """A channel as the API and console show it."""
    verdict = judge(channel, now)
    return {
        "name": channel.name,
        "kind": channel.kind,
        "owner": channel.owner_name,
        "live": verdict.live,
        "reason": verdict.reason,
        "expires_at": as_utc(channel.expires_at),
        "last_used_at": as_utc(channel.last_used_at),
        "requested_by": channel.requested_by_name,
        "requested_at": as_utc(channel.requested_at) if channel.requested_at else None,
    }


# --- the sweep and the security check ------------------------------------------------------


def sweep(runtime: Runtime) -> list[str]:
    """Write down the channels that have disabled themselves since the last sweep (audited as
    the system's act); returns their names."""
    now = utcnow()
    gone: list[str] = []
    with UnitOfWork(runtime, write=True) as uow:
        for channel in uow.session.execute(
            select(AlertChannel).where(AlertChannel.status == LIVE)
        ).scalars():
            verdict = judge(channel, now)
            if not verdict.live and verdict.reason:
                _set_disabled(channel, verdict.reason, now)
                uow.audit(
                    AuditEvent(
                        action="alert_channel.disabled",
                        outcome=Outcome.SUCCESS,
                        actor_id=None,
                        actor_name="system:channels",
                        resource_type="alert_channel",
                        resource_id=channel.id,
                        detail={"name": channel.name, "reason": verdict.reason},
                    )
                )
                gone.append(channel.name)
    if gone:
        forget_cache()
    return gone


def security_findings(runtime: Runtime) -> Iterator[Finding]:
    """``kotwal security check``: every channel, failing on one still live past its expiry."""
    now = utcnow()
    with UnitOfWork(runtime, write=False) as uow:
        found = [
            _finding(channel, now)
            for channel in uow.session.execute(
                select(AlertChannel).order_by(AlertChannel.name)
            ).scalars()
        ]
    if not found:
        yield Finding("alert channels", "pass", "no public alert channel exists yet")
    yield from found


def _finding(channel: AlertChannel, now: datetime) -> Finding:
    expires = as_utc(channel.expires_at)
    what = (
        f"{channel.name}: owner {channel.owner_name}, expires {expires:%Y-%m-%d}, "
        f"last used {as_utc(channel.last_used_at):%Y-%m-%d}"
    )
    if channel.status == LIVE and expires <= now:
        return Finding(
            "alert channels",
            "fail",
            f"{what}: still marked live past its expiry",
            "run `kotwal alerts channels sweep`, or renew it with two officers "
            "(`kotwal alerts channels request` and `approve`)",
        )
    if channel.status == LIVE:
        verdict = judge(channel, now)
        state = "live" if verdict.live else f"off at the next sweep ({verdict.reason})"
        return Finding("alert channels", "pass", f"{what}: {state}")
    return Finding("alert channels", "pass", f"{what}: disabled ({channel.disabled_reason})")
