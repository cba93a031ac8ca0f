"""What the arms licensing domain lets an officer do. Granted in :mod:`kotwal.arms.manifest`."""

import enum


class ArmsPermission(enum.StrEnum):
    """``arms:resource:action``, kept sorted."""

    LICENCE_IMPORT = "arms:licence:import"
    LICENCE_MANAGE = "arms:licence:manage"
    LICENCE_READ = "arms:licence:read"
    LICENCE_REVIEW = "arms:licence:review"
