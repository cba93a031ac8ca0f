"""Face recognition: galleries by legal basis, 1:N search and 1:1 verification."""

from kotwal.core.policy import Role, grant
from kotwal.frs.permissions import FrsPermission as P
from kotwal.manifest import Commands, Manifest, NavLink
from kotwal.records.permissions import RecordsPermission

MANIFEST = Manifest(
    name="frs",
    title="Face recognition",
    package="kotwal.frs",
    permissions=(P,),
    grants=(
        # Face search is a disclosure of biometric data: only the trained operator role has
        # it. The operator reads mugshots to enrol them and to compare candidates with the probe.
        grant(
            Role.FRS_OPERATOR,
            P.FACE_SEARCH,
            P.GALLERY_MANAGE,
            RecordsPermission.PERSON_PHOTO_READ,
        ),
    ),
    models=("kotwal.frs.models",),
    api=("kotwal.frs.api",),
    views=("kotwal.frs.views",),
    templates=True,
    nav=(NavLink("Face search", "/frs", P.FACE_SEARCH, order=30),),
    commands=(
        Commands(
            "frs",
            "kotwal.frs.cli:app",
            "Face recognition: status, enrolment, reindex, calibration.",
        ),
    ),
    uploads="kotwal.frs.api:upload_limits",
    requires=("records", "photos"),
    install="kotwal.frs.service:install",
)
