"""The records domain: persons (with aliases, photographs' permissions, versions), history
sheets and cases."""

from kotwal.core.policy import OFFICERS, STATION_COMMAND, WRITERS, grant
from kotwal.manifest import Commands, Manifest, NavLink
from kotwal.records.permissions import RecordsPermission as P

MANIFEST = Manifest(
    name="records",
    title="Records",
    package="kotwal.records",
    permissions=(P,),
    grants=(
        grant(OFFICERS, P.CASE_READ, P.HISTORY_SHEET_READ, P.PERSON_READ),
        grant(WRITERS, P.CASE_WRITE, P.HISTORY_SHEET_WRITE, P.PERSON_WRITE),
        # Photographs are CONFIDENTIAL: those cleared for personal data see and add them.
        grant(WRITERS, P.PERSON_PHOTO_READ, P.PERSON_PHOTO_WRITE),
        # Bulk movement of records is for those who answer for a station or more, not for
        # every writer; so is watching that history sheets are reviewed on time.
        grant(STATION_COMMAND, P.HISTORY_SHEET_SUPERVISE, P.PERSON_EXPORT, P.PERSON_IMPORT),
        # Who opened a record is read by those who answer for the station it is filed at.
        grant(STATION_COMMAND, P.PERSON_ACCESS_READ),
    ),
    models=("kotwal.records.models",),
    api=("kotwal.records.api",),
    views=("kotwal.records.views",),
    templates=True,
    dashboard=("kotwal.records.dashboard:panels",),
    nav=(
        NavLink("Persons", "/persons", P.PERSON_READ, order=10, invitation="Find a person"),
        NavLink("Cases", "/cases", P.CASE_READ, order=20),
        NavLink("Overdue reviews", "/history-sheets/overdue", P.HISTORY_SHEET_SUPERVISE, 80),
    ),
    commands=(
        Commands("records", "kotwal.records.cli:app", "Import and export person records (CSV)."),
    ),
    uploads="kotwal.records.importer:upload_limits",
    # The station page's figures, and the case register against which the kernel checks
    # purposes that name a case.
    install="kotwal.records.cases:install",
    demo="kotwal.records.demo:seed",
    activity_names="kotwal.records.activity:NAMERS",
)
