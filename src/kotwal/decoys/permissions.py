"""What the decoy register lets a security officer do. Granted in
:mod:`kotwal.decoys.manifest`."""

import enum


class DecoysPermission(enum.StrEnum):
    """``security:decoy:action``."""

    DECOY_READ = "security:decoy:read"
