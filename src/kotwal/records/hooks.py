"""Where other domains take part in the records domain's pages (records' hooks into its
operations live beside them: ``service.CASE_PARTY_ADDED``, ``importer.IMPORT_CHECKS``,
``exporter.EXPORT_COPY``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kotwal.core.observers import HookPoint
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork

#: A person's photographs for their page, listed through the gate by the photos domain (which
#: owns them): (unit of work, reader, person id, purpose) -> photographs' metadata.
PhotoListing = Callable[[UnitOfWork, Actor, str, str | None], list[Any]]
PERSON_PHOTOS: HookPoint[PhotoListing] = HookPoint("records.person_photos")
