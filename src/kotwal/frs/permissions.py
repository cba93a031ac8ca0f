"""What face recognition lets an operator do. Granted in :mod:`kotwal.frs.manifest`."""

import enum


class FrsPermission(enum.StrEnum):
    """``frs:resource:action``, kept sorted."""

    FACE_SEARCH = "frs:face:search"
    GALLERY_MANAGE = "frs:gallery:manage"
