"""Public alerts: the DLT registry mirror, the scrub, two-officer approval and the outbox."""

from kotwal.alerts.permissions import AlertsPermission as P
from kotwal.core.policy import DISTRICT_COMMAND, STATION_COMMAND, Role, grant
from kotwal.manifest import Commands, Manifest, NavLink

MANIFEST = Manifest(
    name="alerts",
    title="Public alerts",
    package="kotwal.alerts",
    permissions=(P,),
    grants=(
        # No new role: station command (the SHO upward) knows what its area must be told and
        # drafts; a message to the public in the force's name is a district chief's decision,
        # as a press release is, so district command approves, and the two-officer rule means
        # a DCP's own draft needs another DCP or headquarters. The registry mirrors what the
        # department registered on DLT, once, at headquarters; so does consent it collects.
        grant(STATION_COMMAND, P.ALERT_READ, P.ALERT_DRAFT),
        grant(DISTRICT_COMMAND, P.ALERT_APPROVE),
        # Channels (the SMPP links, the public feed) are headquarters' too: one officer may
        # switch one off, enabling or renewing one takes two of them.
        grant(Role.STATE_HQ, P.TEMPLATE_MANAGE, P.CONSENT_MANAGE, P.CHANNEL_MANAGE),
    ),
    models=("kotwal.alerts.models",),
    api=("kotwal.alerts.api",),
    views=("kotwal.alerts.views",),
    # The feed, the CAP documents and the verification page: open to anyone, with or without
    # the console, and gone with the module.
    public=("kotwal.alerts.public",),
    templates=True,
    nav=(
        NavLink(
            "Public alerts",
            "/alerts",
            P.ALERT_READ,
            order=75,
            invitation="Draft or approve a public alert",
        ),
    ),
    commands=(
        Commands("alerts", "kotwal.alerts.cli:app", "Public alerts and their DLT registry."),
    ),
    # Checks the KOTWAL_ALERT_* settings when a process starts.
    install="kotwal.alerts.service:install",
    demo="kotwal.alerts.demo:seed",
    # Bursts, odd hours and caps go to the security officers' queue.
    requires=("watch",),
)
