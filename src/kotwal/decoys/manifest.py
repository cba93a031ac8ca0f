"""Decoys: made-up records planted in every copy of the data, and the register naming each
copy."""

from kotwal.core.policy import Role, grant
from kotwal.decoys.permissions import DecoysPermission as P
from kotwal.manifest import Commands, Manifest

MANIFEST = Manifest(
    name="decoys",
    title="Decoys",
    package="kotwal.decoys",
    permissions=(P,),
    grants=(grant(Role.SECURITY_OFFICER, P.DECOY_READ),),
    models=("kotwal.decoys.models",),
    api=("kotwal.decoys.api",),
    commands=(
        Commands("decoys", "kotwal.decoys.cli:app", "Plant decoys; read the decoy register."),
        Commands("backup", "kotwal.decoys.cli:backup_app", "Backups carrying their own decoys."),
    ),
    # Opening a decoy raises an alert and suspends the account (listings do not); imports
    # refuse registered decoys.
    install="kotwal.decoys.service:install",
    demo="kotwal.decoys.service:seed_demo",
    requires=("records",),
    # A breach defence: on whenever what it watches is on (KOTWAL_MODULES cannot drop it).
    always=True,
)
