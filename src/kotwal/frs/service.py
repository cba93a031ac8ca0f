"""Face recognition operations, one transaction each: detect, identify (1:N), verify (1:1),
enrol, remove, calibrate, status.

A search is a disclosure. It needs ``frs:face:search`` (the face recognition operator), a
declared purpose with the case's FIR number, and is audited with the probe's SHA-256, the
threshold, the model and the candidates returned. Candidates are people, and come out only
through the gate (``disclose``), which audits each one again under the declared purpose. Below
the threshold there is no candidate at all: "no match", never a best guess. Probe photographs
are decoded in memory and never written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from kotwal.core import images
from kotwal.core.audit import actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_fields
from kotwal.core.errors import Forbidden, InvalidInput, NotFound
from kotwal.core.policy import Actor
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.frs import index
from kotwal.frs.engine import MODEL_NAME, DlibEngine, Face, build_info, normalise
from kotwal.frs.models import GALLERY_CATEGORIES, Calibration, Gallery, GalleryFace
from kotwal.frs.permissions import FrsPermission
from kotwal.frs.schemas import ConfirmForm, IdentifyForm, SearchPurpose
from kotwal.photos import service as photos_service
from kotwal.records import service as records_service
from kotwal.records.service import PersonFacts

#: Used until ``kotwal frs calibrate`` stores a threshold for the model. Measured on 1,024 LFW
#: images (bench/frs.py's cache, 661,499 impostor pairs): cosine 0.9285 holds FMR 1e-3 at
#: FNMR 6 %; 0.942 holds 1e-4 at FNMR 19 %; 0.952 holds 1e-5 at FNMR 39 %. A 1:N search
#: over N faces expects about N x FMR false candidates, so a state-size gallery needs its own
#: calibration at a far lower FMR than this default's 1e-3.
DEFAULT_THRESHOLD = 0.93
#: Probe and enrolment photographs: smaller than the image module's general cap, because a
#: face needs no more than a phone's photo.
MAX_PHOTO_BYTES = 8_000_000
MAX_PHOTO_PIXELS = 30_000_000

_engine: DlibEngine | None = None


def engine() -> DlibEngine:
    """The process's face engine (models load once, on first use)."""
    global _engine
    if _engine is None:
        _engine = DlibEngine()
    return _engine


def _decode(photo: bytes) -> images.Decoded:
    return images.decode(photo, max_bytes=MAX_PHOTO_BYTES, max_pixels=MAX_PHOTO_PIXELS)


@dataclass(frozen=True)
class Threshold:
    value: float
    source: str  # "calibration <id> (<date>)" or "default"


def threshold(uow: UnitOfWork, model: str = MODEL_NAME) -> Threshold:
    """The threshold in force for ``model``: its newest calibration, else the default."""
    stmt = (
        select(Calibration)
        .where(Calibration.model == model)
        .order_by(Calibration.created_at.desc())
        .limit(1)
    )
    found = uow.session.execute(stmt).scalar_one_or_none()
    if found is None:
        return Threshold(DEFAULT_THRESHOLD, "default")
    return Threshold(found.threshold, f"calibration {found.id} ({found.created_at:%Y-%m-%d})")


def face_out(face: Face) -> dict[str, Any]:
    """A detected face as the API shows it (never its embedding)."""
    return {
        "box": {
            "left": face.box.left,
            "top": face.box.top,
            "right": face.box.right,
            "bottom": face.box.bottom,
        },
        "detector": face.detector,
        "quality": {
            "score": round(face.quality.score, 3),
            "size": round(face.quality.size, 3),
            "confidence": round(face.quality.confidence, 3),
            "sharpness": round(face.quality.sharpness, 3),
        },
    }


def detect(uow: UnitOfWork, actor: Actor, photo: bytes) -> dict[str, Any]:
    """Faces in a photograph, with boxes and quality; audited with the photo's hash."""
    require(actor, FrsPermission.FACE_SEARCH)
    decoded = _decode(photo)
    faces = engine().faces(decoded.image)
    uow.audit(
        actor_event(
            actor,
            "frs.detect",
            resource_type="frs_probe",
            detail={"probe_sha256": decoded.sha256, "faces": len(faces)},
        )
    )
    return {"probe_sha256": decoded.sha256, "faces": [face_out(f) for f in faces]}


def _person(uow: UnitOfWork, person_id: str) -> PersonFacts:
    """Where the person is filed and as what (records' facts, not a disclosure); 404 if none."""
    person = records_service.person_facts(uow, person_id)
    if person is None:
        raise NotFound("no such person")
    return person


def enrol(
    uow: UnitOfWork, actor: Actor, gallery: Gallery, person_id: str, photo: bytes
) -> GalleryFace:
    """Add the one face in ``photo`` to ``gallery`` as ``person_id``'s template.

    The person must be filed in the actor's jurisdiction and belong in this gallery by their
    category (a missing person never enters the offenders' gallery)."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    _enrollable(uow, actor, gallery, person_id)
    decoded = _decode(photo)
    face = engine().one_face(decoded.image)
    return enrol_face(uow, actor, gallery, person_id, face, decoded.sha256)


def enrol_photo(
    uow: UnitOfWork, actor: Actor, gallery: Gallery, person_id: str, photo_id: str
) -> GalleryFace:
    """Enrol a photograph already in the person's record (a mugshot), read through the photo
    store's gate like any other read of it."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    _enrollable(uow, actor, gallery, person_id)
    listed = photos_service.list_photos(uow, actor, photos_service.OWNER_PERSON, person_id, None)
    if photo_id not in {str(p["id"]) for p in listed}:
        raise NotFound("this person has no such photograph")
    data, _media = photos_service.read_image(
        uow, actor, photos_service.OWNER_PERSON, photo_id, None
    )
    return enrol(uow, actor, gallery, person_id, data)


def _enrollable(uow: UnitOfWork, actor: Actor, gallery: Gallery, person_id: str) -> PersonFacts:
    person = _person(uow, person_id)
    if not actor.covers(person.jurisdiction_path):
        raise Forbidden("you can enrol only people filed in your jurisdiction")
    if person.category not in GALLERY_CATEGORIES[gallery]:
        raise InvalidInput(f"a person filed as {person.category} does not belong in {gallery}")
    return person


def enrol_face(
    uow: UnitOfWork, actor: Actor, gallery: Gallery, person_id: str, face: Face, sha256: str
) -> GalleryFace:
    """Store an already encoded face (from an enrolment batch) as ``person_id``'s template."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    person = _enrollable(uow, actor, gallery, person_id)
    return _store(uow, actor, gallery, person, face, sha256)


def _store(
    uow: UnitOfWork,
    actor: Actor,
    gallery: Gallery,
    person: PersonFacts,
    face: Face,
    sha256: str,
) -> GalleryFace:
    now = utcnow()
    row = GalleryFace(
        gallery=gallery.value,
        person_id=person.id,
        jurisdiction_path=person.jurisdiction_path,
        embedding=face.embedding.astype(np.float32).tobytes(),
        model=MODEL_NAME,
        quality=round(face.quality.score, 4),
        detector=face.detector,
        photo_sha256=sha256,
        enrolled_by=actor.account_id,
        enrolled_by_name=actor.username,
        enrolled_at=now,
        changed_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "frs.enrol",
            resource_type="frs_face",
            resource_id=row.id,
            detail={"gallery": gallery.value, "person_id": person.id, "model": MODEL_NAME},
        )
    )
    return row


def remove_faces(
    uow: UnitOfWork, actor: Actor, faces: Sequence[GalleryFace], reason: str
) -> list[str]:
    """Take faces out of their gallery: the template is erased, the row and the reason kept."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    now = utcnow()
    removed: list[str] = []
    for face in faces:
        if face.removed_at is not None:
            continue
        if not actor.covers(face.jurisdiction_path):
            raise Forbidden("you can remove only faces filed in your jurisdiction")
        face.embedding = None
        face.removed_at = now
        face.removed_by_name = actor.username
        face.removal_reason = reason
        face.changed_at = now
        removed.append(face.id)
        uow.audit(
            actor_event(
                actor,
                "frs.remove",
                resource_type="frs_face",
                resource_id=face.id,
                detail={"gallery": face.gallery, "person_id": face.person_id, "reason": reason},
            )
        )
    uow.session.flush()
    return removed


def remove_face(uow: UnitOfWork, actor: Actor, face_id: str, reason: str) -> list[str]:
    face = uow.session.get(GalleryFace, face_id)
    if face is None:
        raise NotFound("no such gallery face")
    return remove_faces(uow, actor, [face], reason)


def remove_person(uow: UnitOfWork, actor: Actor, person_id: str, reason: str) -> list[str]:
    """Every face of a person leaves every gallery (a missing person traced, a body named)."""
    _person(uow, person_id)
    faces = uow.session.execute(
        select(GalleryFace).where(
            GalleryFace.person_id == person_id, GalleryFace.removed_at.is_(None)
        )
    ).scalars()
    return remove_faces(uow, actor, list(faces), reason)


def person_faces(uow: UnitOfWork, actor: Actor, person_id: str) -> list[GalleryFace]:
    require(actor, FrsPermission.GALLERY_MANAGE)
    person = _person(uow, person_id)
    if not actor.covers(person.jurisdiction_path):
        raise Forbidden("this person is filed outside your jurisdiction")
    stmt = select(GalleryFace).where(GalleryFace.person_id == person_id)
    return list(uow.session.execute(stmt.order_by(GalleryFace.enrolled_at)).scalars())


def _searched(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    why: SearchPurpose,
    sha256s: Iterable[str],
    limit: Threshold,
    candidates: str,
    extra: Mapping[str, str | int | bool | None] | None = None,
) -> None:
    uow.audit(
        actor_event(
            actor,
            action,
            resource_type="frs_probe",
            purpose=why.declared,
            detail={
                "probe_sha256": ",".join(sha256s),
                "case_number": why.case_number,
                "model": MODEL_NAME,
                "threshold": f"{limit.value:.4f}",
                "threshold_source": limit.source,
                "candidates": candidates,
                **(extra or {}),
            },
        )
    )


def identify(uow: UnitOfWork, actor: Actor, photo: bytes, form: IdentifyForm) -> dict[str, Any]:
    """1:N: the gallery faces at or above the threshold, best first, each person through the
    gate; an empty list and ``no_match`` when nobody reaches it."""
    require(actor, FrsPermission.FACE_SEARCH)
    decoded = _decode(photo)
    probe = engine().one_face(decoded.image)
    limit = threshold(uow)
    galleries = list(dict.fromkeys(form.galleries))
    hits = index.search(uow.runtime, uow.session, galleries, probe.embedding, form.k)
    above = [h for h in hits if h.similarity >= limit.value]
    faces = {
        f.id: f
        for f in uow.session.execute(
            select(GalleryFace).where(GalleryFace.id.in_([h.face_id for h in above]))
        ).scalars()
        if f.removed_at is None
    }
    above = [h for h in above if h.face_id in faces]
    _searched(
        uow,
        actor,
        "frs.identify",
        form,
        [decoded.sha256],
        limit,
        ",".join(f"{h.face_id}:{faces[h.face_id].person_id}:{h.similarity:.4f}" for h in above),
        {"galleries": ",".join(g.value for g in galleries), "k": form.k},
    )
    people = _disclosed_people(uow, actor, form, [faces[h.face_id].person_id for h in above])
    return {
        "probe_sha256": decoded.sha256,
        "probe_face": face_out(probe),
        "model": MODEL_NAME,
        "threshold": limit.value,
        "decision": "match" if above else "no_match",
        "candidates": [
            {
                "face_id": h.face_id,
                "gallery": h.gallery,
                "similarity": round(h.similarity, 4),
                "person": people[faces[h.face_id].person_id],
            }
            for h in above
        ],
    }


def confirm(uow: UnitOfWork, actor: Actor, form: ConfirmForm) -> dict[str, Any]:
    """A human confirms a candidate for a case: the one step that turns a search result into
    a lead. Audited with the face, the person, the case and the operator's note; the person
    comes back through the gate under the same purpose."""
    require(actor, FrsPermission.FACE_SEARCH)
    face = uow.session.get(GalleryFace, form.face_id)
    if face is None or face.removed_at is not None:
        raise NotFound("no such face in any gallery")
    uow.audit(
        actor_event(
            actor,
            "frs.confirm",
            resource_type="frs_face",
            resource_id=face.id,
            purpose=form.declared,
            detail={
                "person_id": face.person_id,
                "case_number": form.case_number,
                "note": form.note,
            },
        )
    )
    person = _disclosed_people(uow, actor, form, [face.person_id])[face.person_id]
    return {"face_id": face.id, "gallery": face.gallery, "person": person}


def _disclosed_people(
    uow: UnitOfWork, actor: Actor, why: SearchPurpose, person_ids: list[str]
) -> dict[str, dict[str, Any]]:
    shown = records_service.read_persons(uow, actor, person_ids, why.declared)
    return {str(s["id"]): s for s in shown}


def verify(
    uow: UnitOfWork,
    actor: Actor,
    photos: Sequence[bytes],
    why: SearchPurpose,
    person_id: str | None,
) -> dict[str, Any]:
    """1:1: two photographs of one face each, or one photograph against a person's enrolled
    faces (the best of them counts)."""
    require(actor, FrsPermission.FACE_SEARCH)
    if len(photos) != (1 if person_id else 2):
        raise InvalidInput("send two photographs, or one photograph and a person_id")
    decoded = [_decode(p) for p in photos]
    probes = [engine().one_face(d.image).embedding for d in decoded]
    limit = threshold(uow)
    if person_id is not None:
        similarity = _best_against_person(uow, person_id, probes[0])
    else:
        similarity = float(probes[0] @ probes[1])
    decision = "match" if similarity >= limit.value else "no_match"
    _searched(
        uow,
        actor,
        "frs.verify",
        why,
        [d.sha256 for d in decoded],
        limit,
        f"{person_id or 'photo'}:{similarity:.4f}:{decision}",
    )
    return {
        "model": MODEL_NAME,
        "threshold": limit.value,
        "similarity": round(similarity, 4),
        "decision": decision,
    }


def _best_against_person(uow: UnitOfWork, person_id: str, probe: Any) -> float:
    _person(uow, person_id)
    faces = list(
        uow.session.execute(
            select(GalleryFace).where(
                GalleryFace.person_id == person_id,
                GalleryFace.removed_at.is_(None),
                GalleryFace.model == MODEL_NAME,
            )
        ).scalars()
    )
    if not faces:
        raise InvalidInput("this person has no enrolled face to verify against")
    opened = open_fields(uow.session, faces, ["embedding"])
    vectors = [index.embedding_of(o["embedding"]) for o in opened]
    return max(float(v @ probe) for v in vectors)


def status(uow: UnitOfWork) -> dict[str, Any]:
    """What the console and ``kotwal frs status`` show: model, build, threshold, sizes, and
    how galleries are searched."""
    info = build_info()
    limit = threshold(uow)
    return {
        "model": info.model,
        "dlib_version": info.dlib_version,
        "blas": info.blas,
        "threshold": limit.value,
        "threshold_source": limit.source,
        "galleries": index.sizes(uow.session),
        "index": index.describe(),
    }


# --- calibration -------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationResult:
    threshold: float
    target_fmr: float
    fmr: float
    fnmr: float
    identities: int
    genuine_pairs: int
    impostor_pairs: int


def choose_threshold(
    by_identity: Mapping[str, Sequence[Any]], target_fmr: float
) -> CalibrationResult:
    """The lowest threshold whose false-match rate over every impostor pair of the labelled
    embeddings is at most ``target_fmr``, and the FMR and FNMR measured at it."""
    labels: list[int] = []
    vectors: list[Any] = []
    for n, (_name, embs) in enumerate(sorted(by_identity.items())):
        for e in embs:
            labels.append(n)
            vectors.append(normalise(e))
    if len(by_identity) < 2 or len(vectors) < 3:
        raise InvalidInput("calibration needs at least two identities and three faces")
    matrix = np.stack(vectors)
    ids = np.array(labels)
    sims = matrix @ matrix.T
    upper = np.triu_indices(len(vectors), k=1)
    scores = sims[upper]
    same = ids[upper[0]] == ids[upper[1]]
    genuine, impostor = scores[same], np.sort(scores[~same])
    if genuine.size == 0:
        raise InvalidInput("calibration needs at least one identity with two faces")
    allowed = int(np.floor(target_fmr * impostor.size))
    # Scores strictly above the (allowed+1)-th highest impostor score are matches.
    cut = float(impostor[impostor.size - allowed - 1]) if impostor.size > allowed else -1.0
    value = float(np.nextafter(np.float32(cut), np.float32(2.0)))
    fmr = float(np.mean(impostor >= value))
    fnmr = float(np.mean(genuine < value))
    return CalibrationResult(
        threshold=value,
        target_fmr=target_fmr,
        fmr=fmr,
        fnmr=fnmr,
        identities=len(by_identity),
        genuine_pairs=int(genuine.size),
        impostor_pairs=int(impostor.size),
    )


def save_calibration(uow: UnitOfWork, actor: Actor, result: CalibrationResult) -> Calibration:
    """Store a threshold for the model in use; searches use it from the next request."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    row = Calibration(
        model=MODEL_NAME,
        threshold=result.threshold,
        target_fmr=result.target_fmr,
        fmr=result.fmr,
        fnmr=result.fnmr,
        identities=result.identities,
        genuine_pairs=result.genuine_pairs,
        impostor_pairs=result.impostor_pairs,
        created_by_name=actor.username,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        actor_event(
            actor,
            "frs.calibrate",
            resource_type="frs_calibration",
            resource_id=row.id,
            detail={
                "model": MODEL_NAME,
                "threshold": f"{result.threshold:.4f}",
                "target_fmr": str(result.target_fmr),
                "fmr": f"{result.fmr:.6f}",
                "fnmr": f"{result.fnmr:.6f}",
            },
        )
    )
    return row


def reindex(
    uow: UnitOfWork, actor: Actor, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Rebuild every gallery's search index from the sealed templates."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    sizes: dict[str, int] = {}
    for gallery in Gallery:
        report = None if progress is None else _bind(progress, gallery.value)
        sizes[gallery.value] = len(index.rebuild(uow.runtime, uow.session, gallery.value, report))
    uow.audit(actor_event(actor, "frs.reindex", resource_type="frs_index", detail=dict(sizes)))
    return sizes


def _bind(progress: Callable[[str, int, int], None], name: str) -> Callable[[int, int], None]:
    return lambda done, total: progress(name, done, total)
