"""The arms licensing domain: licences, weapons, their course and suspension reviews."""

from kotwal.arms.permissions import ArmsPermission as P
from kotwal.core.policy import OFFICERS, Role, grant
from kotwal.manifest import Commands, Manifest, NavLink

MANIFEST = Manifest(
    name="arms",
    title="Arms licences",
    package="kotwal.arms",
    permissions=(P,),
    grants=(
        grant(OFFICERS, P.LICENCE_READ),
        # The licensing officer issues, renews, suspends and cancels licences and decides the
        # suspension reviews; every other officer reads them.
        grant(Role.ARMS_LICENSING_OFFICER, P.LICENCE_MANAGE, P.LICENCE_REVIEW, P.LICENCE_IMPORT),
    ),
    models=("kotwal.arms.models",),
    api=("kotwal.arms.api",),
    views=("kotwal.arms.views",),
    templates=True,
    dashboard=("kotwal.arms.dashboard:panels",),
    nav=(
        NavLink("Arms licences", "/arms/licences", P.LICENCE_READ, order=40),
        NavLink("Licence reviews", "/arms/reviews", P.LICENCE_REVIEW, order=50),
    ),
    commands=(Commands("arms", "kotwal.arms.cli:app", "Import arms licences (CSV)."),),
    # Suspension reviews when a licence holder is named in a case.
    install="kotwal.arms.service:install",
    demo="kotwal.arms.demo:seed",
    requires=("records",),
)
