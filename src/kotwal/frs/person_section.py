"""A person's face-gallery enrolments on their records page: for the face recognition
operator (who alone may read gallery faces), through the gate as parts of the record; nothing
for anyone else, who is not told whether a face is enrolled."""

from __future__ import annotations

from sqlalchemy import select

from kotwal.core.gate import disclose
from kotwal.core.policy import Actor
from kotwal.core.uow import UnitOfWork
from kotwal.frs.models import GalleryFace
from kotwal.frs.permissions import FrsPermission
from kotwal.records.hooks import PersonSection

FACES_MAX = 50


def person_faces(
    uow: UnitOfWork, actor: Actor, person_id: str, purpose: str | None
) -> PersonSection | None:
    """The person's enrolled faces, removed ones included, oldest first."""
    if not actor.can(FrsPermission.FACE_SEARCH):
        return None
    stmt = (
        select(GalleryFace)
        .where(GalleryFace.person_id == person_id)
        .order_by(GalleryFace.enrolled_at, GalleryFace.id)
        .limit(FACES_MAX)
    )
    faces = list(uow.session.execute(stmt).scalars())
    shown = disclose(uow, actor, purpose, faces, kind="part") if faces else []
    return PersonSection(
        title="Face-gallery enrolments",
        columns=("Gallery", "Enrolled", "By", "Quality", "Removed", "Reason removed"),
        rows=[
            (
                f["gallery"],
                f["enrolled_at"],
                f["enrolled_by_name"],
                f["quality"] if isinstance(f["quality"], dict) else f"{f['quality']:.2f}",
                f["removed_at"],
                f["removal_reason"],
            )
            for f in shown
        ],
        empty="No face of this person is enrolled in a gallery.",
    )
