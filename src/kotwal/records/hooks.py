"""Where other domains take part in the records domain's pages (records' hooks into its
operations live beside them: ``service.CASE_PARTY_ADDED``, ``importer.IMPORT_CHECKS``,
``exporter.EXPORT_COPY``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kotwal.core.observers import HookPoint
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork

#: A person's photographs for their page, listed through the gate by the photos domain (which
#: owns them): (unit of work, reader, person id, purpose) -> photographs' metadata.
PhotoListing = Callable[[UnitOfWork, Actor, str, str | None], list[Any]]
PERSON_PHOTOS: HookPoint[PhotoListing] = HookPoint("records.person_photos")


@dataclass(frozen=True)
class PersonSection:
    """A part of a person's page that another domain owns (licences held, face-gallery
    enrolments): a titled table of values as that domain's gate released them (a withheld one
    is ``{"masked": true}``; the page shows dates and moments in local time)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    #: Where each row leads (same order as ``rows``), or "" for nowhere.
    links: list[str] = field(default_factory=list)
    #: Said when there are no rows (or why the reader sees none).
    empty: str = "None."


#: Sections of a person's page from other domains: (unit of work, reader, person id, purpose)
#: -> a section, or None when the reader may not see that kind of record at all.
SectionListing = Callable[[UnitOfWork, Actor, str, str | None], PersonSection | None]
PERSON_SECTIONS: HookPoint[SectionListing] = HookPoint("records.person_sections")
