"""What officers may do with citizens' data. Citizens themselves hold no permission: their
routes are on their own surface and admit only their own token (``kotwal.citizen.deps``)."""

from __future__ import annotations

import enum


class CitizenPermission(enum.StrEnum):
    """``citizen:<resource>:<action>``, kept sorted."""

    #: Open a citizen's identity (name, mobile, e-mail, address, emergency contacts) from the
    #: vault, through the gate, always with a declared purpose.
    IDENTITY_READ = "citizen:identity:read"
    #: See the SOS raised in one's jurisdiction, and the citizen's positions while one is open.
    SOS_READ = "citizen:sos:read"
    #: Acknowledge an SOS (the citizen sees it) and close it.
    SOS_HANDLE = "citizen:sos:handle"
