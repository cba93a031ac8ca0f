"""What the disclosure watch lets a security officer do. Granted in
:mod:`kotwal.watch.manifest`."""

import enum


class WatchPermission(enum.StrEnum):
    """``security:alert:action``, kept sorted."""

    ALERT_MANAGE = "security:alert:manage"
    ALERT_READ = "security:alert:read"
    PURPOSE_REVIEW = "security:purpose:review"
