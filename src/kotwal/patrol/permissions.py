"""What the patrolling domain lets an officer do. Granted in :mod:`kotwal.patrol.manifest`."""

import enum


class PatrolPermission(enum.StrEnum):
    """``patrol:resource:action``, kept sorted."""

    AREA_MANAGE = "patrol:area:manage"
    AREA_READ = "patrol:area:read"
    CHECKIN = "patrol:checkin:create"
    COVERAGE_READ = "patrol:coverage:read"
    DEVICE_MANAGE = "patrol:device:manage"
    DISPATCH = "patrol:incident:dispatch"
    FIGURES_EXPORT = "patrol:figures:export"
    INCIDENT_CREATE = "patrol:incident:create"
    INCIDENT_READ = "patrol:incident:read"
    POSITION_READ = "patrol:position:read"
    TRACK_READ = "patrol:track:read"
    UNIT_MANAGE = "patrol:unit:manage"
    UNIT_READ = "patrol:unit:read"
    UNIT_STATUS = "patrol:unit:status"
