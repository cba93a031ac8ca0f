"""What the public alerts domain lets an officer do. Granted in :mod:`kotwal.alerts.manifest`."""

import enum


class AlertsPermission(enum.StrEnum):
    """``alerts:resource:action``, kept sorted."""

    ALERT_APPROVE = "alerts:alert:approve"
    ALERT_DRAFT = "alerts:alert:draft"
    ALERT_READ = "alerts:alert:read"
    CHANNEL_MANAGE = "alerts:channel:manage"
    CONSENT_MANAGE = "alerts:consent:manage"
    TEMPLATE_MANAGE = "alerts:template:manage"
