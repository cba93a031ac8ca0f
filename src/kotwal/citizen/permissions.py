"""What officers may do with citizens' data. Citizens themselves hold no permission: their
routes are on their own surface and admit only their own token (``kotwal.citizen.deps``)."""

from __future__ import annotations

import enum


class CitizenPermission(enum.StrEnum):
    """``citizen:<resource>:<action>``, kept sorted."""

    #: Open a citizen's identity (name, mobile, e-mail, address, emergency contacts) from the
    #: vault, through the gate, always with a declared purpose.
    IDENTITY_READ = "citizen:identity:read"
    #: Ask whether a phone (by IMEI) is reported lost, and read the report.
    LOST_PHONE_READ = "citizen:lost_phone:read"
    #: Read the reports and tips routed to one's jurisdiction, their photographs and course.
    REPORT_READ = "citizen:report:read"
    #: Move a report along its course (the citizen is told at each change).
    REPORT_HANDLE = "citizen:report:handle"
    #: See an active trip (or one under an SOS) whose latest position is in one's
    #: jurisdiction, with its positions.
    TRIP_READ = "citizen:trip:read"
    #: See the SOS raised in one's jurisdiction, and the citizen's positions while one is open.
    SOS_READ = "citizen:sos:read"
    #: Acknowledge an SOS (the citizen sees it) and close it.
    SOS_HANDLE = "citizen:sos:handle"
