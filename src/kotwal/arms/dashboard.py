"""The arms domain's panel on the start page: for the licensing officer, the licences that
will lapse in the next 30, 60 and 90 days and the suspension reviews waiting for a decision,
per station of their jurisdiction. Counted under the same conditions as the licence list and
the review queue its reader opens one by one."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select

from kotwal.arms.models import ArmsLicence, ArmsLicenceReview
from kotwal.arms.permissions import ArmsPermission as P
from kotwal.arms.schemas import LicenceStatus
from kotwal.core.clock import station_today
from kotwal.core.policy import Actor, Jurisdiction
from kotwal.core.scope import in_jurisdiction
from kotwal.core.uow import UnitOfWork
from kotwal.panels import Panel, add_counts, command_panel

#: Days ahead, as bands: (first day after today, last day), with the column's name.
BANDS = (
    (0, 30, "Lapse in 0-30 days"),
    (31, 60, "Lapse in 31-60 days"),
    (61, 90, "Lapse in 61-90 days"),
)
PENDING = "Suspension reviews pending"


def expiring_by_station(
    uow: UnitOfWork, actor: Actor, today: date, first: int, last: int
) -> list[tuple[str, int]]:
    """Valid licences whose validity ends between ``today + first`` and ``today + last``
    days (both included), per station."""
    stmt = (
        select(ArmsLicence.station_id, func.count())
        .where(
            in_jurisdiction(ArmsLicence.jurisdiction_path, actor),
            ArmsLicence.status == LicenceStatus.VALID.value,
            ArmsLicence.valid_until >= today + timedelta(days=first),
            ArmsLicence.valid_until <= today + timedelta(days=last),
        )
        .group_by(ArmsLicence.station_id)
    )
    return [(s, n) for s, n in uow.session.execute(stmt).all()]


def pending_by_station(uow: UnitOfWork, actor: Actor) -> list[tuple[str, int]]:
    """Open suspension reviews (the review queue's filter), per station."""
    stmt = (
        select(ArmsLicenceReview.station_id, func.count())
        .where(
            in_jurisdiction(ArmsLicenceReview.jurisdiction_path, actor),
            ArmsLicenceReview.status == "open",
        )
        .group_by(ArmsLicenceReview.station_id)
    )
    return [(s, n) for s, n in uow.session.execute(stmt).all()]


def panels(uow: UnitOfWork, actor: Actor) -> list[Panel]:
    """The licensing panel, for those who review licences (the licensing officer)."""
    if not (actor.can(P.LICENCE_REVIEW) and actor.can(P.LICENCE_READ)):
        return []
    today = station_today(uow.runtime)
    columns = [name for _, _, name in BANDS] + [PENDING]
    counts: dict[str, list[int]] = {}
    for i, (first, last, _) in enumerate(BANDS):
        add_counts(counts, i, len(columns), expiring_by_station(uow, actor, today, first, last))
    add_counts(counts, len(BANDS), len(columns), pending_by_station(uow, actor))
    return [
        command_panel(
            uow,
            actor,
            key="arms.licensing",
            title="Licences to renew and reviews to decide",
            question="Which licences lapse soon, and which holders named in a case wait for a "
            "decision?",
            columns=columns,
            counts=counts,
            links={PENDING: "/arms/reviews"},
        )
    ]


def station_panels(uow: UnitOfWork, actor: Actor, station: Jurisdiction) -> list[Panel]:
    """A station's licences by where they stand (valid, lapsed, suspended, cancelled), for a
    reader who may read licences, inside the jurisdiction."""
    if not actor.can(P.LICENCE_READ):
        return []
    today = station_today(uow.runtime)
    lapsed = case(
        (
            (ArmsLicence.status == LicenceStatus.VALID.value) & (ArmsLicence.valid_until < today),
            "lapsed",
        ),
        else_=ArmsLicence.status,
    )
    stmt = (
        select(lapsed, func.count())
        .where(
            in_jurisdiction(ArmsLicence.jurisdiction_path, actor),
            ArmsLicence.jurisdiction_path == station.path,
        )
        .group_by(lapsed)
    )
    counts = {str(k): int(n) for k, n in uow.session.execute(stmt).all()}
    order = (
        ("valid", "Valid"),
        ("lapsed", "Lapsed"),
        ("suspended", "Suspended"),
        ("cancelled", "Cancelled"),
    )
    return [
        Panel(
            key="arms.station",
            title=f"Arms licences filed here: {sum(counts.values()):,}",
            question="How many licensed weapons does this station answer for?",
            columns=("Licences",),
            rows=[(title, [counts.get(k, 0)]) for k, title in order],
            row_header="Standing",
            links={"Valid": "/arms/licences?status=valid"},
        )
    ]
