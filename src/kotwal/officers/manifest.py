"""The officers-and-stations domain (``kotwal officers``): the force's roll, postings and
station profiles."""

from kotwal.core.policy import DISTRICT_COMMAND, OFFICERS, STATION_COMMAND, WRITERS, grant
from kotwal.manifest import Commands, Manifest, NavLink
from kotwal.officers.permissions import OfficersPermission as P

MANIFEST = Manifest(
    name="officers",
    title="Officers and stations",
    package="kotwal.officers",
    permissions=(P,),
    grants=(
        grant(OFFICERS, P.OFFICER_READ, P.STATION_READ),
        grant(WRITERS, P.OFFICER_PHOTO_READ),
        # The station house officer keeps the personnel records of the station's officers;
        # district command and above also keep the station profiles.
        grant(STATION_COMMAND, P.OFFICER_IMPORT, P.OFFICER_MANAGE, P.OFFICER_PHOTO_WRITE),
        grant(DISTRICT_COMMAND, P.STATION_MANAGE),
    ),
    models=("kotwal.officers.models",),
    api=("kotwal.officers.api",),
    views=("kotwal.officers.views",),
    templates=True,
    nav=(
        NavLink("Officers", "/officers", P.OFFICER_READ, order=60),
        NavLink("Stations", "/stations", P.STATION_READ, order=70),
    ),
    commands=(
        Commands(
            "officers", "kotwal.officers.cli:app", "Import officers with their postings (CSV)."
        ),
    ),
    demo="kotwal.officers.demo:seed",
    demo_accounts="kotwal.officers.demo:seed_accounts",
    activity_names="kotwal.officers.activity:NAMERS",
)
