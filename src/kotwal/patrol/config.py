"""The patrolling domain's settings, from ``KOTWAL_PATROL_*`` variables (docs/domains/patrol.md).

They are the domain's own, so they live here rather than in the kernel's settings; they are
checked once at start-up by :func:`kotwal.patrol.service.install`, so a bad value stops the
server and every command before anything is accepted.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PatrolSettings(BaseSettings):
    """How long tracks are kept, and how pings are written."""

    model_config = SettingsConfigDict(env_prefix="KOTWAL_PATROL_", extra="ignore")

    #: Days a unit's track (every position it reported) is kept before the purge deletes it.
    #: Trip tracks kept long after the trip were part of what leaked from TSCOP; a month
    #: answers complaints and inquiries about a shift, and the limit keeps it a decision.
    track_days: int = Field(default=30, ge=1, le=366)
    #: Pings written to the database in one transaction, at most, and how long the writer
    #: waits for more once the first has arrived (milliseconds).
    batch_max: int = Field(default=1000, ge=1, le=20_000)
    batch_wait_ms: int = Field(default=20, ge=0, le=1000)
    #: A fix dated further ahead of the server's clock than this is refused (a tracker with a
    #: wrong clock would otherwise pin the unit's latest position in the future).
    future_seconds: int = Field(default=300, ge=0, le=86_400)
    #: Travel distance is the straight line times this (Indian cities measure 1.3-1.5 by road;
    #: pgRouting's real distances are later work).
    road_factor: float = Field(default=1.4, ge=1.0, le=3.0)
    #: Units farther than this (straight line, km) are not proposed for an incident.
    nearest_km: float = Field(default=25.0, gt=0, le=500)
    #: A check-in counts only with the unit's tracker fix at most this old (seconds): the
    #: geofence is decided by the unit's own tracker, not by what the scanning phone says.
    checkin_fix_seconds: int = Field(default=120, ge=10, le=3600)
    #: A beat no unit has been in (no position inside it, no check-in at its points) for this
    #: many hours raises an alert to its station.
    uncovered_hours: int = Field(default=4, ge=1, le=72)
    #: Side of the grid's cells (metres) by which the share of a beat's area passed through is
    #: counted: a cell is passed through when the unit's track crosses it.
    coverage_cell_m: int = Field(default=100, ge=20, le=1000)
    #: The control room map's background tiles, a URL template on this server's own origin
    #: ("/tiles/{z}/{x}/{y}.png", a force's tile server behind the same proxy); empty (the
    #: default) draws no background: nothing is loaded from the internet.
    tile_url: str = Field(default="", max_length=300)

    @field_validator("tile_url")
    @classmethod
    def _same_origin_tiles(cls, value: str) -> str:
        value = value.strip()
        if value and (
            not re.fullmatch(r"/[A-Za-z0-9._~/{}-]*", value)
            or value.startswith("//")
            or not all(part in value for part in ("{z}", "{x}", "{y}"))
        ):
            raise ValueError(
                "must be a path on this server with {z}, {x} and {y}, e.g. /tiles/{z}/{x}/{y}.png"
                " (the console's Content-Security-Policy loads images from its own origin only)"
            )
        return value


def patrol_settings() -> PatrolSettings:
    """The settings as the environment has them now."""
    return PatrolSettings()
