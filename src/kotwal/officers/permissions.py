"""What the officers-and-stations domain lets an officer do. Granted in
:mod:`kotwal.officers.manifest`."""

import enum


class OfficersPermission(enum.StrEnum):
    """``force:resource:action``, kept sorted. The scope is still "force" (the package was
    called so until it took the name officers see): the values appear in audit events, and
    keeping them keeps an auditor's searches across the rename whole."""

    OFFICER_IMPORT = "force:officer:import"
    OFFICER_MANAGE = "force:officer:manage"
    OFFICER_PHOTO_READ = "force:officer_photo:read"
    OFFICER_PHOTO_WRITE = "force:officer_photo:write"
    OFFICER_READ = "force:officer:read"
    STATION_MANAGE = "force:station:manage"
    STATION_READ = "force:station:read"
