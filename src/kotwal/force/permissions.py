"""What the officers-and-stations domain lets an officer do. Granted in
:mod:`kotwal.force.manifest`."""

import enum


class ForcePermission(enum.StrEnum):
    """``force:resource:action``, kept sorted."""

    OFFICER_IMPORT = "force:officer:import"
    OFFICER_MANAGE = "force:officer:manage"
    OFFICER_PHOTO_READ = "force:officer_photo:read"
    OFFICER_PHOTO_WRITE = "force:officer_photo:write"
    OFFICER_READ = "force:officer:read"
    STATION_MANAGE = "force:station:manage"
    STATION_READ = "force:station:read"
