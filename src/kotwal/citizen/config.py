"""The citizen services' settings, from ``KOTWAL_CITIZEN_*`` variables (docs/domains/citizen.md).

Read when an operation needs them and checked once at start-up by
:func:`kotwal.citizen.service.install`, so a bad value stops the process. The citizens' port,
``KOTWAL_CITIZEN_PORT``, is the kernel's (``kotwal run`` needs it before any domain loads).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_PREFIX = "KOTWAL_CITIZEN_"


class CitizenSettings(BaseSettings):
    """Login codes, device sessions and trips."""

    model_config = SettingsConfigDict(env_prefix="KOTWAL_CITIZEN_", extra="ignore")

    #: A login code is good for this many minutes (the issue caps it at ten).
    otp_minutes: int = Field(default=5, ge=1, le=10)
    #: Wrong guesses one code takes before it is burnt.
    otp_attempts: int = Field(default=5, ge=1, le=10)
    #: Wrong guesses at one number's codes, whichever code, in ``otp_window_minutes``: past
    #: it even the right code is refused until the window moves on, so asking for new codes
    #: does not buy an attacker new guesses.
    otp_failures_per_number: int = Field(default=10, ge=1, le=100)
    #: Codes asked for from one device, and from one client address, in the window.
    otp_per_device: int = Field(default=5, ge=1, le=100)
    otp_per_address: int = Field(default=30, ge=1, le=10_000)
    otp_window_minutes: int = Field(default=60, ge=1, le=24 * 60)
    #: A device session ends this many days after login, or after this many days unused.
    session_days: int = Field(default=90, ge=1, le=365)
    session_idle_days: int = Field(default=30, ge=1, le=365)
    #: Minutes after a trip ends (or is abandoned past its expected arrival plus
    #: ``trip_overdue_hours``) before its key is destroyed: long enough for the control room to
    #: finish with a trip that ended in trouble, short enough that the track is gone today.
    trip_grace_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    #: A trip never ended by its citizen is closed this many hours after its expected arrival.
    trip_overdue_hours: int = Field(default=12, ge=1, le=7 * 24)
    #: Where each trip's signed tombstone is also written, outside the database, so that a
    #: copy of the database restored from before the shredding is made to forget the trip
    #: again; default ``<data dir>/citizen/trip-tombstones.jsonl``. Keep it (and back it up)
    #: apart from the database's backups.
    tombstones: Path | None = None
    #: Deviation checks of an active trip. Overdue: this many minutes past its expected
    #: arrival. Still: its positions of the last ``trip_still_minutes`` all within 150 m of
    #: each other; silent: no position for that long. Off route: farther than
    #: ``trip_off_route_km`` from the straight line between start and destination (when the
    #: app gave them as places). A deviation asks the citizen to check in; no answer within
    #: ``trip_answer_seconds`` raises an SOS for them.
    trip_late_minutes: int = Field(default=15, ge=1, le=240)
    trip_still_minutes: int = Field(default=15, ge=2, le=240)
    trip_off_route_km: float = Field(default=2.0, ge=0.2, le=50)
    trip_answer_seconds: int = Field(default=120, ge=30, le=1800)
    #: An SOS not acknowledged this many seconds after it was raised (or after its last
    #: escalation) is passed up to the next control room: the district's, the zone's, the state's.
    sos_ack_seconds: int = Field(default=60, ge=10, le=3600)
    #: Hours a closed SOS's positions are kept (for the control room's report of what
    #: happened) before its key is destroyed; 0 destroys them at the next sweep.
    sos_keep_hours: int = Field(default=24, ge=0, le=30 * 24)
    #: Anonymous tips from one client address, and from one installation of the app, in the
    #: window (the address is kept only as a keyed hash, and only for a day).
    tips_per_address: int = Field(default=5, ge=1, le=1000)
    tips_per_device: int = Field(default=3, ge=1, le=100)
    tips_window_minutes: int = Field(default=60, ge=1, le=24 * 60)


_cached: tuple[tuple[tuple[str, str], ...], CitizenSettings] | None = None


def citizen_settings() -> CitizenSettings:
    """The settings as the environment has them now. Parsed again only when a
    ``KOTWAL_CITIZEN_*`` variable has changed: parsing costs ~5 ms (pydantic-settings looks at
    every field's sources), which a trip's positions paid twice a request."""
    global _cached
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_PREFIX)))
    held = _cached
    if held is None or held[0] != key:
        held = _cached = (key, CitizenSettings())
    return held[1]
