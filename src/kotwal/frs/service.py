"""Face recognition operations, one transaction each: detect, identify (1:N), verify (1:1),
enrol, remove, calibrate, status.

A search is a disclosure. It needs ``frs:face:search`` (the face recognition operator), a
declared purpose with the case's FIR number, and is audited with the probe's SHA-256, the
threshold, the model and the candidates returned. Candidates are people, and come out only
through the gate (``disclose``), which audits each one again under the declared purpose. Below
the threshold there is no candidate at all: "no match", never a best guess. Probe photographs
are decoded in memory and never written anywhere.

A 1:N search's threshold is open-set (:mod:`kotwal.frs.openset`): chosen for the target FPIR
(``KOTWAL_FRS_TARGET_FPIR``) at the size of the galleries searched, from the newest calibration's
impostor tail (or the LFW tail shipped here), and never below the 1:1 threshold that
verification uses. A photograph refused after it was decoded (no face, several faces, a face
too poor to search or enrol) is audited too, with its hash and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from kotwal.core import images
from kotwal.core.audit import Outcome, actor_event
from kotwal.core.clock import utcnow
from kotwal.core.crypto import open_fields
from kotwal.core.errors import Forbidden, InvalidInput, NotFound, Problem
from kotwal.core.policy import Actor
from kotwal.core.purpose import check_case
from kotwal.core.runtime import Runtime
from kotwal.core.scope import require
from kotwal.core.uow import UnitOfWork
from kotwal.frs import index, openset, person_section
from kotwal.frs.config import frs_settings
from kotwal.frs.engine import (
    MODEL_NAME,
    DlibEngine,
    Face,
    NoFace,
    SeveralFaces,
    build_info,
    normalise,
)
from kotwal.frs.models import GALLERY_CATEGORIES, Calibration, Gallery, GalleryFace
from kotwal.frs.permissions import FrsPermission
from kotwal.frs.schemas import ConfirmForm, IdentifyForm, SearchPurpose
from kotwal.photos import service as photos_service
from kotwal.records import service as records_service
from kotwal.records.hooks import PERSON_SECTIONS
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

#: The impostor tail used until a calibration stores one: fitted by ``bench/frs.py`` on LFW
#: (cnn+flip, the pipeline above) over the 14,801,714 impostor pairs among 5,442 images of 3,916
#: peopleDevTrain identities, the benchmark's held-out strangers excluded (2026-12-07). Checked
#: on 5,854,469 stranger-to-gallery pairs it never saw: the scores it puts at rates 1e-4, 1e-5
#: and 1e-6 were reached by 0.92e-4, 0.70e-5 and 0.34e-6 of them (conservative throughout).
DEFAULT_TAIL = openset.ImpostorTail(
    u=0.9289,
    p_u=0.000999951762343199,
    xi=-0.07792,
    sigma=0.007095,
    # (rate, score) measured above the tail: a table of data, one pair a line.
    points=(
        (0.5, 0.83893),
        (0.2, 0.86764),
        (0.1, 0.88138),
        (0.05, 0.89198),
        (0.02, 0.90314),
        (0.01, 0.91017),
        (0.005, 0.91642),
        (0.002, 0.92387),
        (0.000999951762343199, 0.9289),
    ),
    pairs=14_801_714,
)
#: Mated (same person) scores of the same fit (3,247 pairs), 5 % apart, for the FNIR that
#: ``kotwal frs status`` predicts.
# A table of data (21 quantiles), kept as rows rather than one value a line.
_LFW_GENUINE = (
    0.8122, 0.9277, 0.9351, 0.9399, 0.9437, 0.947, 0.9497, 0.952, 0.9541, 0.9559, 0.9578,
    0.9594, 0.961, 0.9633, 0.9651, 0.9671, 0.9693, 0.9717, 0.9744, 0.9786, 0.9966,
)  # fmt: skip
DEFAULT_GENUINE = openset.GenuineScores(quantiles=_LFW_GENUINE, pairs=3_247)

#: The probe quality gate: a face smaller than this (shorter side of its box, pixels in the
#: original photograph), blurrier than this (sharpness part of the quality score) or found with
#: less detector confidence than this is refused rather than searched or enrolled.
MIN_FACE_PX = 40
MIN_SHARPNESS = 0.02
MIN_CONFIDENCE = 0.5


class PoorQuality(Problem):
    status, slug = 422, "poor-quality-face"
    title = "The face is too poor to search or enrol; send a sharper, closer photograph"


def install(runtime: Runtime) -> None:
    """Check the ``KOTWAL_FRS_*`` settings when a process starts: a bad value stops it; show
    a person's enrolments on their records page."""
    frs_settings()
    runtime.hooks.register(PERSON_SECTIONS, "frs.faces", person_section.person_faces)


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


@dataclass(frozen=True)
class SearchThreshold:
    """The 1:N threshold in force for one search, with everything its audit event records."""

    open_set: openset.OpenSetThreshold
    source: str  # the tail's calibration, or "default (LFW)"
    one_to_one: Threshold

    @property
    def value(self) -> float:
        return self.open_set.value


def _tail_row(uow: UnitOfWork, gallery: str | None, model: str) -> Calibration | None:
    stmt = (
        select(Calibration)
        .where(
            Calibration.model == model,
            Calibration.tail.is_not(None),
            Calibration.gallery.is_(None) if gallery is None else Calibration.gallery == gallery,
        )
        .order_by(Calibration.created_at.desc())
        .limit(1)
    )
    return uow.session.execute(stmt).scalar_one_or_none()


def tail_in_force(
    uow: UnitOfWork, gallery: str | None, model: str = MODEL_NAME
) -> tuple[openset.ImpostorTail, openset.GenuineScores | None, str]:
    """The impostor tail for ``gallery``: its own newest calibration with a tail, else the
    newest for every gallery, else the LFW default; with genuine scores and where it came from."""
    for scope in ([gallery] if gallery else []) + [None]:
        row = _tail_row(uow, scope, model)
        if row is not None and row.tail is not None:
            tail, genuine = openset.loads(row.tail)
            return tail, genuine, f"calibration {row.id} ({row.created_at:%Y-%m-%d})"
    return DEFAULT_TAIL, DEFAULT_GENUINE, "default (LFW)"


def search_threshold(
    uow: UnitOfWork, galleries: Sequence[str], size: int, target_fpir: float | None = None
) -> SearchThreshold:
    """The threshold for a 1:N search of ``size`` faces over ``galleries``: for the target FPIR
    (``KOTWAL_FRS_TARGET_FPIR`` unless given) at the ladder bound above ``size``, from each
    gallery's tail (the highest wins), never below the 1:1 threshold."""
    target = frs_settings().target_fpir if target_fpir is None else target_fpir
    floor = threshold(uow)
    chosen: SearchThreshold | None = None
    scopes: list[str | None] = list(galleries) or [None]
    for gallery in scopes:
        tail, _genuine, source = tail_in_force(uow, gallery)
        found = openset.threshold_for(tail, size, target, floor.value)
        if chosen is None or found.value > chosen.value:
            chosen = SearchThreshold(found, source, floor)
    assert chosen is not None
    return chosen


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


def gate(face: Face) -> None:
    """Refuse a face too small, too blurred or too doubtfully detected to search or enrol."""
    short = min(face.box.width, face.box.height)
    if short < MIN_FACE_PX:
        raise PoorQuality(
            f"the face is {short} px across; at least {MIN_FACE_PX} px are needed",
            reason="too-small",
        )
    if face.quality.sharpness < MIN_SHARPNESS:
        raise PoorQuality(
            f"the face is too blurred (sharpness {face.quality.sharpness:.3f}, at least "
            f"{MIN_SHARPNESS} needed)",
            reason="blurred",
        )
    if face.quality.confidence < MIN_CONFIDENCE:
        raise PoorQuality(
            f"the face was found with too little confidence ({face.quality.confidence:.2f})",
            reason="doubtful-detection",
        )


def usable_face(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    decoded: images.Decoded,
    why: SearchPurpose | None = None,
) -> Face:
    """The one face of a decoded photograph, through the quality gate. A refusal (no face,
    several faces, a poor face) is audited with the photograph's hash and the reason, whether
    or not the request's own transaction commits, and then raised."""
    try:
        face = engine().one_face(decoded.image)
        gate(face)
    except (NoFace, SeveralFaces, PoorQuality) as refused:
        refuse(uow, actor, action, decoded.sha256, refused, why)
        raise
    return face


def refuse(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    sha256: str,
    problem: Problem | str,
    why: SearchPurpose | None = None,
) -> None:
    """Audit a photograph refused after it was decoded (``frs.refused``): which request, the
    photograph's hash and why."""
    if isinstance(problem, Problem):
        reason = problem.slug
        extra = problem.extra.get("reason")
        if extra:
            reason = f"{reason}:{extra}"
        text = problem.detail or problem.title
    else:
        reason, text = "refused", problem
    detail: dict[str, str | int | bool | None] = {
        "action": action,
        "probe_sha256": sha256,
        "reason": reason,
        "detail": text[:200],
        "model": MODEL_NAME,
    }
    if why is not None:
        detail["case_number"] = why.case_number
    uow.record_now(
        [
            actor_event(
                actor,
                "frs.refused",
                Outcome.FAILURE,
                resource_type="frs_probe",
                purpose=None if why is None else why.declared,
                detail=detail,
            )
        ]
    )


def require_case(uow: UnitOfWork, actor: Actor, action: str, why: SearchPurpose) -> None:
    """A face search serves a registered case: an FIR number the case register does not know
    is refused before the photograph is looked at, and the refusal is audited."""
    try:
        check_case(uow, why.case_number)
    except InvalidInput:
        uow.record_now(
            [
                actor_event(
                    actor,
                    "frs.refused",
                    Outcome.FAILURE,
                    resource_type="frs_probe",
                    purpose=why.declared,
                    detail={
                        "action": action,
                        "reason": "case-not-registered",
                        "case_number": why.case_number,
                    },
                )
            ]
        )
        raise


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
    face = usable_face(uow, actor, "enrol", decoded)
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
    """Store an already encoded face (from an enrolment batch) as ``person_id``'s template,
    through the quality gate (a refusal is audited)."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    person = _enrollable(uow, actor, gallery, person_id)
    try:
        gate(face)
    except PoorQuality as refused:
        refuse(uow, actor, "enrol", sha256, refused)
        raise
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
    limit: Threshold | SearchThreshold,
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


#: Faces fetched per candidate wanted: a person with several enrolled faces fills several
#: places of the raw list, and each person found is then scored once, by their mean template.
FACES_PER_CANDIDATE = 4


@dataclass(frozen=True)
class _Scored:
    person_id: str
    face_id: str  # the person's best face in the shortlist (what a confirmation names)
    gallery: str
    similarity: float  # against the person's mean template
    faces: int


def _mean_templates(
    uow: UnitOfWork, person_ids: list[str], galleries: list[str]
) -> dict[str, tuple[Any, int]]:
    """Each person's active faces in ``galleries`` fused into one template: the normalised sum
    of their unit embeddings (measured on LFW against taking the best face's score: see
    docs/benchmarks.md), with how many faces it holds."""
    if not person_ids:
        return {}
    rows = list(
        uow.session.execute(
            select(GalleryFace).where(
                GalleryFace.person_id.in_(person_ids),
                GalleryFace.gallery.in_(galleries),
                GalleryFace.removed_at.is_(None),
                GalleryFace.model == MODEL_NAME,
            )
        ).scalars()
    )
    opened = open_fields(uow.session, rows, ["embedding"])
    sums: dict[str, tuple[Any, int]] = {}
    for row, o in zip(rows, opened, strict=True):
        vector = index.embedding_of(o["embedding"])
        total, n = sums.get(row.person_id, (np.zeros_like(vector), 0))
        sums[row.person_id] = (total + vector, n + 1)
    return {p: (normalise(total), n) for p, (total, n) in sums.items()}


def identify(uow: UnitOfWork, actor: Actor, photo: bytes, form: IdentifyForm) -> dict[str, Any]:
    """1:N: the people whose mean template reaches the open-set threshold, best first, each
    through the gate; an empty list and ``no_match`` when nobody reaches it.

    The index shortlists faces; each person among them is scored once, against the mean of
    their enrolled faces. The threshold is chosen for the target FPIR at the number of faces
    searched, which is at least the number of templates (so it errs strict)."""
    require(actor, FrsPermission.FACE_SEARCH)
    require_case(uow, actor, "identify", form)
    decoded = _decode(photo)
    probe = usable_face(uow, actor, "identify", decoded, form)
    galleries = list(dict.fromkeys(form.galleries))
    searched = index.search(
        uow.runtime, uow.session, galleries, probe.embedding, form.k * FACES_PER_CANDIDATE
    )
    limit = search_threshold(uow, [g.value for g in galleries], searched.size)
    faces = {
        f.id: f
        for f in uow.session.execute(
            select(GalleryFace).where(GalleryFace.id.in_([h.face_id for h in searched.hits]))
        ).scalars()
        if f.removed_at is None
    }
    first: dict[str, index.Hit] = {}
    for h in searched.hits:  # best first: a person's first hit is their best face
        if h.face_id in faces:
            first.setdefault(faces[h.face_id].person_id, h)
    templates = _mean_templates(uow, list(first), [g.value for g in galleries])
    scored = sorted(
        (
            _Scored(
                person_id=person_id,
                face_id=h.face_id,
                gallery=h.gallery,
                similarity=float(templates[person_id][0] @ probe.embedding),
                faces=templates[person_id][1],
            )
            for person_id, h in first.items()
            if person_id in templates
        ),
        key=lambda c: c.similarity,
        reverse=True,
    )
    above = [c for c in scored if c.similarity >= limit.value][: form.k]
    chosen = limit.open_set
    _searched(
        uow,
        actor,
        "frs.identify",
        form,
        [decoded.sha256],
        limit,
        ",".join(f"{c.face_id}:{c.person_id}:{c.similarity:.4f}" for c in above),
        {
            "galleries": ",".join(g.value for g in galleries),
            "k": form.k,
            "target_fpir": f"{chosen.target_fpir:g}",
            "gallery_size": chosen.gallery_size,
            "size_bound": chosen.size_bound,
            "one_to_one_threshold": f"{limit.one_to_one.value:.4f}",
            "threshold_floored": chosen.floored,
        },
    )
    people = _disclosed_people(uow, actor, form, [c.person_id for c in above])
    return {
        "probe_sha256": decoded.sha256,
        "probe_face": face_out(probe),
        "model": MODEL_NAME,
        "threshold": limit.value,
        "target_fpir": chosen.target_fpir,
        "gallery_size": chosen.gallery_size,
        "decision": "match" if above else "no_match",
        "candidates": [
            {
                "face_id": c.face_id,
                "gallery": c.gallery,
                "similarity": round(c.similarity, 4),
                "faces": c.faces,
                "person": people[c.person_id],
            }
            for c in above
        ],
    }


def confirm(uow: UnitOfWork, actor: Actor, form: ConfirmForm) -> dict[str, Any]:
    """A human confirms a candidate for a case: the one step that turns a search result into
    a lead. Audited with the face, the person, the case and the operator's note; the person
    comes back through the gate under the same purpose."""
    require(actor, FrsPermission.FACE_SEARCH)
    require_case(uow, actor, "confirm", form)
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
    return {
        "face_id": face.id,
        "gallery": face.gallery,
        "person": person,
        "confirmed_by": actor.username,
        "confirmed_at": utcnow(),
    }


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
    require_case(uow, actor, "verify", why)
    if len(photos) != (1 if person_id else 2):
        raise InvalidInput("send two photographs, or one photograph and a person_id")
    decoded = [_decode(p) for p in photos]
    probes = [usable_face(uow, actor, "verify", d, why).embedding for d in decoded]
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
    sizes = index.sizes(uow.session)
    return {
        "model": info.model,
        "dlib_version": info.dlib_version,
        "blas": info.blas,
        "threshold": limit.value,
        "threshold_source": limit.source,
        "target_fpir": frs_settings().target_fpir,
        "galleries": sizes,
        "search_thresholds": {g: in_force(uow, g, n) for g, n in sizes.items()},
        "index": index.describe(),
    }


def in_force(uow: UnitOfWork, gallery: str, size: int) -> dict[str, Any]:
    """What a search of ``gallery`` alone at ``size`` faces would use, and the FPIR and FNIR
    its calibration predicts there (FNIR only when the calibration kept genuine scores)."""
    limit = search_threshold(uow, [gallery], size)
    _tail, genuine, _source = tail_in_force(uow, gallery)
    return {
        "size": size,
        "size_bound": limit.open_set.size_bound,
        "threshold": round(limit.value, 4),
        "source": limit.source,
        "floored": limit.open_set.floored,
        "predicted_fpir": round(limit.open_set.predicted_fpir, 6),
        "predicted_fnir": None if genuine is None else round(genuine.below(limit.value), 4),
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
    #: The fitted impostor tail and genuine quantiles (None with too few impostor pairs).
    tail: openset.ImpostorTail | None = None
    genuine: openset.GenuineScores | None = None
    #: Why there is no tail, when there is none.
    no_tail: str | None = None


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
    tail, no_tail = None, None
    try:
        tail = openset.fit_tail(impostor)
    except ValueError as exc:
        no_tail = str(exc)
    return CalibrationResult(
        threshold=value,
        target_fmr=target_fmr,
        fmr=fmr,
        fnmr=fnmr,
        identities=len(by_identity),
        genuine_pairs=int(genuine.size),
        impostor_pairs=int(impostor.size),
        tail=tail,
        genuine=openset.GenuineScores.of(genuine),
        no_tail=no_tail,
    )


def save_calibration(
    uow: UnitOfWork, actor: Actor, result: CalibrationResult, gallery: Gallery | None = None
) -> Calibration:
    """Store a calibration for the model in use (for one gallery, or every gallery): searches
    use it from the next request."""
    require(actor, FrsPermission.GALLERY_MANAGE)
    stored_tail = None
    if result.tail is not None and result.genuine is not None:
        stored_tail = openset.dumps(result.tail, result.genuine)
    row = Calibration(
        model=MODEL_NAME,
        gallery=None if gallery is None else gallery.value,
        tail=stored_tail,
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
                "gallery": None if gallery is None else gallery.value,
                "tail": result.tail is not None,
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
