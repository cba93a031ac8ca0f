"""The breach defences' panels on the start page, for the security officer: protected records
released per hour over the last day, the open alerts by kind, and the accounts nearest their
disclosure budget. Read off the defences' own tables (the rolling window the budget is charged
from, and the alert queue), which the security officer reads in full anyway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from kotwal.core.clock import station_zone, utcnow
from kotwal.core.models import Account, AccountRole
from kotwal.core.policy import Actor, Role
from kotwal.core.uow import UnitOfWork
from kotwal.panels import Panel
from kotwal.watch import config as watch_config
from kotwal.watch.models import WatchAlert, WatchDisclosure
from kotwal.watch.permissions import WatchPermission as P

HOURS = 24
#: An account at or above this share of a soft limit (hour or day) is "near its budget".
NEAR_SHARE = 0.75
NEAR_MAX = 20


def hourly_disclosures(uow: UnitOfWork, now: datetime) -> list[tuple[datetime, int]]:
    """Records released in each of the last 24 whole hours up to now (oldest first): one
    pass over the day's window, grouped by the hour (in UTC, so that a zone half an hour off
    UTC does not split an hour)."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [end - timedelta(hours=HOURS - i) for i in range(HOURS)]
    if uow.session.get_bind().dialect.name == "postgresql":
        hour: Any = func.to_char(func.timezone("UTC", WatchDisclosure.at), "YYYY-MM-DD HH24")
    else:
        hour = func.strftime("%Y-%m-%d %H", WatchDisclosure.at)
    stmt = select(hour, func.count()).where(WatchDisclosure.at >= starts[0]).group_by(hour)
    counts = {str(h): int(n) for h, n in uow.session.execute(stmt).all()}
    return [(s, counts.get(s.astimezone(UTC).strftime("%Y-%m-%d %H"), 0)) for s in starts]


def open_alerts(uow: UnitOfWork) -> list[tuple[str, int]]:
    """Open alerts by kind (the queue's "open" filter)."""
    stmt = (
        select(WatchAlert.kind, func.count())
        .where(WatchAlert.status == "open")
        .group_by(WatchAlert.kind)
        .order_by(WatchAlert.kind)
    )
    return [(k, int(n)) for k, n in uow.session.execute(stmt).all()]


def near_budget(uow: UnitOfWork, now: datetime) -> list[tuple[str, list[int]]]:
    """Accounts whose distinct records in the rolling hour or day reach :data:`NEAR_SHARE` of
    their soft limit: (username, [% of the hourly soft limit, % of the daily one])."""
    cfg = watch_config.load(uow.runtime.settings)
    hour_ago = now - timedelta(hours=1)
    stmt = (
        select(
            WatchDisclosure.account_id,
            func.count(
                func.distinct(case((WatchDisclosure.at >= hour_ago, WatchDisclosure.record_id)))
            ),
            func.count(func.distinct(WatchDisclosure.record_id)),
        )
        .where(
            WatchDisclosure.at >= now - timedelta(days=1),
            WatchDisclosure.kind.in_(cfg.counted_kinds),
        )
        .group_by(WatchDisclosure.account_id)
    )
    counted = {a: (int(h), int(d)) for a, h, d in uow.session.execute(stmt).all()}
    if not counted:
        return []
    roles: dict[str, set[Role]] = {}
    for account_id, role in uow.session.execute(
        select(AccountRole.account_id, AccountRole.role).where(
            AccountRole.account_id.in_(list(counted))
        )
    ).all():
        roles.setdefault(account_id, set()).add(Role(role))
    names = dict(
        uow.session.execute(
            select(Account.id, Account.username).where(Account.id.in_(list(counted)))
        ).all()
    )
    rows: list[tuple[str, list[int]]] = []
    for account_id, (hour, day) in counted.items():
        budget = cfg.budget_for(frozenset(roles.get(account_id, set())))
        shares = [round(100 * hour / budget.soft_hour), round(100 * day / budget.soft_day)]
        if max(shares) >= NEAR_SHARE * 100:
            rows.append((names.get(account_id, account_id), shares))
    rows.sort(key=lambda r: (-max(r[1]), r[0]))
    return rows[:NEAR_MAX]


def panels(uow: UnitOfWork, actor: Actor) -> list[Panel]:
    """The security officer's three panels."""
    if not actor.can(P.ALERT_READ):
        return []
    now = utcnow()
    zone = station_zone(uow.runtime.settings)
    hourly = hourly_disclosures(uow, now)
    alerts = open_alerts(uow)
    return [
        Panel(
            key="watch.hourly",
            title="Records released per hour, last 24 hours",
            question="Is today's reading of protected records ordinary?",
            columns=("Records released",),
            rows=[(s.astimezone(zone).strftime("%H:00"), [n]) for s, n in hourly],
            row_header="Hour beginning",
            timeline=True,
        ),
        Panel(
            key="watch.alerts",
            title="Open security alerts",
            question="What must I look at first?",
            columns=("Open",),
            rows=[(kind.replace("_", " "), [n]) for kind, n in alerts],
            row_header="Kind",
            links={kind.replace("_", " "): "/security/alerts" for kind, _ in alerts},
            empty="No alert is open.",
        ),
        Panel(
            key="watch.budgets",
            title="Accounts near their disclosure budget",
            question="Who is reading more than their work usually needs?",
            columns=("% of hourly soft limit", "% of daily soft limit"),
            rows=near_budget(uow, now),
            row_header="Account",
            empty=f"No account has reached {NEAR_SHARE:.0%} of its soft limit.",
        ),
    ]
