"""The disclosure watch: budgets per actor, signals, step-up, suspension and the security
officers' alert queue."""

from kotwal.core.policy import STATION_COMMAND, Role, grant
from kotwal.manifest import Manifest, NavLink
from kotwal.watch.permissions import WatchPermission as P

MANIFEST = Manifest(
    name="watch",
    title="Disclosure watch",
    package="kotwal.watch",
    permissions=(P,),
    grants=(
        grant(Role.SECURITY_OFFICER, P.ALERT_MANAGE, P.ALERT_READ, P.PURPOSE_REVIEW),
        # Supervisors review their officers' reads beyond the jurisdiction under a purpose.
        grant(STATION_COMMAND, P.PURPOSE_REVIEW),
    ),
    models=("kotwal.watch.models",),
    api=("kotwal.watch.api",),
    views=("kotwal.watch.views",),
    templates=True,
    dashboard=("kotwal.watch.dashboard:panels",),
    nav=(
        NavLink("Security alerts", "/security/alerts", P.ALERT_READ, order=110),
        NavLink("Purpose reviews", "/security/purposes", P.PURPOSE_REVIEW, order=85),
    ),
    # Charged on every disclosure, by the server and by commands that disclose.
    install="kotwal.watch.service:install",
    # A breach defence: on whenever what it watches is on (KOTWAL_MODULES cannot drop it).
    always=True,
)
