"""Citizen services (issue 22): the citizens' surface, accounts by mobile and a code, the
identity vault, Travel Made Safe trips."""

from kotwal.citizen.permissions import CitizenPermission as P
from kotwal.core.policy import STATION_COMMAND, WRITERS, Role, grant
from kotwal.manifest import Commands, Manifest

#: Who may open a citizen's identity from the vault, always with a purpose: the
#: sub-inspector who investigates and station command above. Constables and head constables do
#: not: a citizen who used the app is not a suspect, and the vault is what a leak would want.
IDENTITY_READERS = frozenset({Role.SUB_INSPECTOR}) | STATION_COMMAND
#: Who sees an SOS (and the citizen's positions while it is open) and acknowledges it: those
#: who see patrol units' positions and dispatch them (patrol's LIVE_POSITIONS).
SOS_HANDLERS = frozenset({Role.SUB_INSPECTOR}) | STATION_COMMAND
REPORT_HANDLERS = frozenset({Role.SUB_INSPECTOR}) | STATION_COMMAND

MANIFEST = Manifest(
    name="citizen",
    title="Citizen services",
    package="kotwal.citizen",
    permissions=(P,),
    grants=(
        grant(IDENTITY_READERS, P.IDENTITY_READ),
        # The control room's dispatchers: whoever sees where patrol units are and sends them.
        grant(SOS_HANDLERS, P.SOS_READ, P.SOS_HANDLE, P.TRIP_READ),
        # Reports and tips: the sub-inspector who follows them up and station command above
        # (a report of a crime against a woman, or of misconduct, is not for every constable).
        grant(REPORT_HANDLERS, P.REPORT_READ, P.REPORT_HANDLE),
        # Whether a phone in hand is reported lost: any officer from head constable up (the
        # one at the desk with a recovered or seized phone); a purpose outside jurisdiction.
        grant(WRITERS, P.LOST_PHONE_READ),
    ),
    models=("kotwal.citizen.models",),
    api=("kotwal.citizen.api",),
    # The citizens' own surface: its own app and port, its own token realm.
    citizen=("kotwal.citizen.citizen_api",),
    # The citizens' web app (its shell, service worker, manifest and files), on that surface.
    citizen_pages=("kotwal.citizen.webapp",),
    commands=(
        Commands(
            "citizen",
            "kotwal.citizen.cli:app",
            "Citizen services: trips' shredding, SOS escalation.",
        ),
        Commands(
            "demo-otp",
            "kotwal.citizen.cli:demo_otp_app",
            "Print a number's pending login code (demo instances only).",
        ),
    ),
    # Checks the KOTWAL_CITIZEN_* settings when a process starts.
    install="kotwal.citizen.service:install",
    # A report's photograph is larger than the default body cap.
    uploads="kotwal.citizen.citizen_api:upload_limits",
    # Login codes and SOS notices go out through the alerts module's locked templates; an SOS
    # becomes an incident in patrol's queue.
    requires=("alerts", "patrol"),
)
