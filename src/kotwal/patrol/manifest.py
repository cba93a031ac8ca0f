"""Patrolling (``kotwal patrol``): station areas and beats, check-in points, patrol units with
their crews and shifts, and their positions reported by their own trackers."""

from kotwal.core.policy import OFFICERS, STATION_COMMAND, WRITERS, Role, grant
from kotwal.manifest import Commands, Manifest, NavLink
from kotwal.patrol.permissions import PatrolPermission as P

#: Who sees where units are now: the sub-inspector who runs a shift's patrols and station
#: command above. Constables and head constables do not: a live position of every unit is
#: what a gang, or a leak, would want most.
LIVE_POSITIONS = frozenset({Role.SUB_INSPECTOR}) | STATION_COMMAND

MANIFEST = Manifest(
    name="patrol",
    title="Patrolling",
    package="kotwal.patrol",
    permissions=(P,),
    grants=(
        # Every officer reads the beats and units of their jurisdiction and reports their own
        # unit's status; head constables upward plan shifts and crews.
        # Crews check in at the points of their beats.
        grant(OFFICERS, P.AREA_READ, P.UNIT_READ, P.UNIT_STATUS, P.INCIDENT_READ, P.CHECKIN),
        # The control room's call takers (head constables upward) enter incidents; whoever
        # sees where units are may send one.
        grant(WRITERS, P.UNIT_MANAGE, P.INCIDENT_CREATE),
        # Coverage (which share of a beat a unit passed through) and the uncovered beats' alerts
        # go to those who run the shifts.
        grant(LIVE_POSITIONS, P.POSITION_READ, P.DISPATCH, P.COVERAGE_READ),
        # Drawing beats, issuing trackers and reading where a unit has been (its track) are
        # station command's.
        grant(STATION_COMMAND, P.AREA_MANAGE, P.DEVICE_MANAGE, P.TRACK_READ),
        # Exporting the figures a force publishes (response times, coverage: no position) is
        # station command's decision.
        grant(STATION_COMMAND, P.FIGURES_EXPORT),
    ),
    models=("kotwal.patrol.models",),
    api=("kotwal.patrol.api",),
    views=("kotwal.patrol.views",),
    # The trackers' ping route: no officer's session, the device's own token (see ingest.py).
    public=("kotwal.patrol.public",),
    templates=True,
    nav=(NavLink("Patrol", "/patrol", P.UNIT_READ, order=72),),
    commands=(
        Commands("patrol", "kotwal.patrol.cli:app", "Beats, patrol units and their trackers."),
    ),
    # Checks the KOTWAL_PATROL_* settings when a process starts.
    install="kotwal.patrol.service:install",
    # A GeoJSON file of a district's beats is larger than the default body cap.
    uploads="kotwal.patrol.api:upload_limits",
    demo="kotwal.patrol.demo:seed",
    requires=("officers",),
)
