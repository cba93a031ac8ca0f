"""The search index: derived from the sealed embeddings in the database, never the other way.

One index per gallery, held in the process (attached to the runtime) and persisted under the
data directory (``<data_dir>/frs/<gallery>.npz``) so that a restart does not open every sealed
template again. Before each search the index catches up with the database from the faces'
``changed_at`` column (enrolments add, removals drop), then checks that it holds exactly as many
faces as the database says are active; any disagreement (a restored database, another
process's write it could not see) rebuilds it from the database. ``kotwal frs reindex``
rebuilds all of them.

Small galleries are searched exactly (one matrix product over unit vectors: cosine
similarity). From :data:`ANN_MIN_FACES` faces on, a compressed copy of the vectors (FAISS
product quantisation with 4-bit codes, one sub-quantiser per dimension, scanned with SIMD
"fast scan": 64 bytes per face) proposes :data:`ANN_SHORTLIST` candidates and they are
re-scored exactly, so a similarity reported is always the true one. The compressed copy is
persisted beside the vectors (``<gallery>.faiss``) and follows enrolment at once; a removed
face is dropped from the exact vectors at once and its compressed code is left as a tombstone
that can never be returned, until tombstones pass :data:`ANN_DEAD_SHARE` of the gallery and the
copy is rebuilt from the vectors (FAISS's own removal from a fast-scan index corrupts what is
added after it). A graph index (HNSW) was measured and rejected: on face-like data at
1,000,000 faces it found the exact best match first in only about 80 % of searches. The choice
and the size limit come from ``bench/frs.py`` (see the README).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kotwal.core.clock import as_utc, utcnow
from kotwal.core.crypto import open_fields
from kotwal.core.runtime import Runtime
from kotwal.frs.engine import EMBEDDING_DIM
from kotwal.frs.models import Gallery, GalleryFace

#: Rows whose ``changed_at`` is this close before the index's stamp are read again on catch-up:
#: a transaction that started earlier may commit later than one already seen.
CATCH_UP_OVERLAP = timedelta(seconds=120)
BATCH = 2000
#: Below this many faces exact search answers within a few milliseconds and is always right.
ANN_MIN_FACES = 200_000
#: Candidates the compressed scan proposes for exact re-scoring (at least ``k``).
ANN_SHORTLIST = 1024
#: Product quantiser: sub-quantisers (one per dimension) and bits per code.
ANN_SUBQUANTIZERS = 128
ANN_BITS = 4
#: The quantiser is trained on at most this many of the gallery's vectors (evenly spaced).
ANN_TRAIN_MAX = 100_000
#: Tombstones (removed faces still coded) allowed before the compressed copy is rebuilt.
ANN_DEAD_SHARE = 0.1
#: The persisted files are a cache (a restart catches up from the database), so after a change
#: they are rewritten only once this share of the gallery has changed or this long has passed:
#: at a million faces a rewrite is 700 MB, which one enrolment must not cost the next search.
SAVE_SHARE = 0.01
SAVE_EVERY = timedelta(minutes=5)

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Hit:
    """One search result: a gallery face and its cosine similarity to the probe."""

    face_id: str
    gallery: str
    similarity: float


@dataclass
class GalleryIndex:
    """The active faces of one gallery: ids and unit vectors, in insertion order."""

    gallery: str
    ids: list[str] = field(default_factory=list)
    vectors: Vectors = field(default_factory=lambda: np.zeros((0, EMBEDDING_DIM), np.float32))
    stamp: datetime | None = None
    #: A stable integer per face (its key in the compressed copy), parallel to ``ids``.
    keys: list[int] = field(default_factory=list)
    #: The next key to give: keys are never reused, so a tombstone never stands for a new face.
    next_key: int = 0
    ann: Any = None
    #: Faces from which the compressed copy is used (a field so that tests can exercise it).
    ann_min: int = ANN_MIN_FACES
    #: Faces added or removed since the files were last written, and when that was.
    unsaved: int = 0
    saved_at: datetime | None = None
    _pos: dict[str, int] = field(default_factory=dict)
    _key_pos: dict[int, int] = field(default_factory=dict)
    #: Room for ``vectors`` to grow into (``vectors`` is its head), so that adding a face does
    #: not copy the whole gallery.
    _room: Vectors = field(default_factory=lambda: np.zeros((0, EMBEDDING_DIM), np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, items: list[tuple[str, Vectors]]) -> None:
        fresh = [(i, v) for i, v in items if i not in self._pos]
        if not fresh:
            return
        start = len(self.ids)
        new_keys = list(range(self.next_key, self.next_key + len(fresh)))
        self.next_key += len(fresh)
        added = np.stack([v for _, v in fresh]).astype(np.float32)
        self.ids.extend(i for i, _ in fresh)
        self.keys.extend(new_keys)
        self._append_vectors(start, added)
        self.unsaved += len(fresh)
        for n, (i, _) in enumerate(fresh):
            self._pos[i] = start + n
            self._key_pos[new_keys[n]] = start + n
        if self.ann is not None:
            self.ann.add_with_ids(added, np.array(new_keys, dtype=np.int64))
        self._ensure_ann()

    def remove(self, face_ids: Iterable[str]) -> None:
        gone = {i for i in face_ids if i in self._pos}
        if not gone:
            return
        # The compressed copy keeps their codes as tombstones: a key no longer in ``_key_pos``
        # is never returned, and too many tombstones rebuild the copy (_ensure_ann).
        keep = [n for n, i in enumerate(self.ids) if i not in gone]
        self.ids = [self.ids[n] for n in keep]
        self.keys = [self.keys[n] for n in keep]
        self.vectors = self._room = self.vectors[keep]
        self.unsaved += len(gone)
        self._reposition()
        if len(self.ids) < self.ann_min // 2:
            self.ann = None  # shrunk well below the limit: exact search again
        self._ensure_ann()

    def _append_vectors(self, start: int, added: Vectors) -> None:
        end = start + len(added)
        if end > len(self._room) or self.vectors.base is not self._room:
            room = np.empty((max(end, len(self._room) * 5 // 4 + 1024), EMBEDDING_DIM), np.float32)
            room[:start] = self.vectors
            self._room = room
        self._room[start:end] = added
        self.vectors = self._room[:end]

    def save_due(self, now: datetime) -> bool:
        """Whether enough has changed, or long enough ago, for the files to be rewritten."""
        if not self.unsaved:
            return False
        if self.saved_at is None or self.unsaved >= max(1, int(len(self.ids) * SAVE_SHARE)):
            return True
        return now - self.saved_at >= SAVE_EVERY

    @property
    def dead(self) -> int:
        """Removed faces whose codes are still in the compressed copy."""
        return 0 if self.ann is None else int(self.ann.ntotal) - len(self.ids)

    def _reposition(self) -> None:
        self._pos = {i: n for n, i in enumerate(self.ids)}
        self._key_pos = {k: n for n, k in enumerate(self.keys)}

    def _ensure_ann(self) -> None:
        """Build the compressed copy once the gallery is large enough, or again when it holds
        too many tombstones."""
        if len(self.ids) < self.ann_min:
            return
        if self.ann is not None and 0 <= self.dead <= len(self.ids) * ANN_DEAD_SHARE:
            return
        self.ann = _compressed(self.vectors, self.keys)

    def search(self, probe: Vectors, k: int) -> list[Hit]:
        if not self.ids:
            return []
        if self.ann is not None:
            wanted = min(int(self.ann.ntotal), max(k, ANN_SHORTLIST))
            _, found = self.ann.search(probe.reshape(1, -1).astype(np.float32), wanted)
            live = [self._key_pos.get(int(key), -1) for key in found[0]]
            rows = np.array([n for n in live if n >= 0], dtype=np.int64)
            scores = self.vectors[rows] @ probe
            order = np.argsort(-scores)[:k]
            return [Hit(self.ids[rows[n]], self.gallery, float(scores[n])) for n in order]
        scores = self.vectors @ probe
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [Hit(self.ids[n], self.gallery, float(scores[n])) for n in top]

    def save(self, path: Path) -> None:
        """Write the vectors (and the compressed copy) under ``path``, readable by the owner
        only: what they hold is derived from SECRET templates."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp.npz")
        tmp.unlink(missing_ok=True)
        tmp.touch(mode=0o600)
        np.savez(
            tmp,
            ids=np.array(self.ids, dtype="U36"),
            keys=np.array(self.keys, dtype=np.int64),
            next_key=np.array([self.next_key], dtype=np.int64),
            vectors=self.vectors,
            stamp=np.array([self.stamp.isoformat() if self.stamp else ""]),
        )
        tmp.replace(path)
        path.with_suffix(".usearch").unlink(missing_ok=True)  # a graph of an earlier version
        codes = path.with_suffix(".faiss")
        if self.ann is not None:
            import faiss

            partial = path.with_suffix(".tmp.faiss")
            partial.unlink(missing_ok=True)
            partial.touch(mode=0o600)
            faiss.write_index(self.ann, str(partial))
            partial.replace(codes)
        else:
            codes.unlink(missing_ok=True)
        self.unsaved, self.saved_at = 0, utcnow()

    @classmethod
    def load(cls, gallery: str, path: Path, *, ann_min: int = ANN_MIN_FACES) -> GalleryIndex | None:
        try:
            with np.load(path, allow_pickle=False) as data:
                ids = [str(i) for i in data["ids"]]
                keys = [int(k) for k in data["keys"]]
                next_key = (
                    int(data["next_key"][0]) if "next_key" in data else max(keys, default=-1) + 1
                )
                vectors = np.asarray(data["vectors"], dtype=np.float32)
                stamp_text = str(data["stamp"][0])
        except (OSError, KeyError, ValueError):
            return None  # missing or damaged: the caller rebuilds from the database
        shaped = vectors.reshape(-1, EMBEDDING_DIM)
        index = cls(
            gallery=gallery, ids=ids, keys=keys, next_key=next_key, vectors=shaped, ann_min=ann_min
        )
        index.stamp = datetime.fromisoformat(stamp_text) if stamp_text else None
        index.saved_at = utcnow()
        index._reposition()
        if len(ids) >= index.ann_min:
            index.ann = _restore_compressed(path.with_suffix(".faiss"), keys)
        index._ensure_ann()
        return index


def _compressed(vectors: Vectors, keys: list[int]) -> Any:
    """A fast-scan product-quantised copy of ``vectors``, searched by ``keys``."""
    import faiss

    codes = faiss.IndexPQFastScan(
        EMBEDDING_DIM, ANN_SUBQUANTIZERS, ANN_BITS, faiss.METRIC_INNER_PRODUCT
    )
    step = max(1, len(vectors) // ANN_TRAIN_MAX)
    codes.train(np.ascontiguousarray(vectors[::step]))
    ann = faiss.IndexIDMap(codes)
    ann.add_with_ids(np.ascontiguousarray(vectors), np.array(keys, dtype=np.int64))
    return ann


def _restore_compressed(path: Path, keys: list[int]) -> Any:
    """The persisted compressed copy if it codes every face in ``keys`` (tombstones aside),
    else None (rebuilt from the vectors)."""
    if not path.exists():
        return None
    import faiss

    try:
        ann: Any = faiss.read_index(str(path))
        coded = faiss.vector_to_array(ann.id_map)
    except (OSError, RuntimeError, AttributeError):
        return None
    if not np.isin(np.array(keys, dtype=np.int64), coded).all():
        return None
    return ann


def _path(runtime: Runtime, gallery: str) -> Path:
    return runtime.settings.data_dir / "frs" / f"{gallery}.npz"


_lock = threading.Lock()


def _cache(runtime: Runtime) -> dict[str, GalleryIndex]:
    """The runtime's indexes (one process, one runtime: the web app's or a CLI command's)."""
    cache: dict[str, GalleryIndex] | None = getattr(runtime, "_frs_indexes", None)
    if cache is None:
        cache = {}
        runtime._frs_indexes = cache  # type: ignore[attr-defined]
    return cache


def embedding_of(raw: Any) -> Vectors:
    """A stored (opened) template as a unit vector."""
    return np.frombuffer(bytes(raw), dtype=np.float32).reshape(EMBEDDING_DIM)


def _active_count(session: Session, gallery: str) -> int:
    stmt = select(func.count()).where(
        GalleryFace.gallery == gallery, GalleryFace.removed_at.is_(None)
    )
    return int(session.execute(stmt).scalar_one())


def _catch_up(session: Session, index: GalleryIndex) -> None:
    stmt = select(GalleryFace).where(GalleryFace.gallery == index.gallery)
    if index.stamp is not None:
        stmt = stmt.where(GalleryFace.changed_at >= index.stamp - CATCH_UP_OVERLAP)
    rows = list(session.execute(stmt.order_by(GalleryFace.changed_at)).scalars())
    _apply(session, index, rows)


def _apply(session: Session, index: GalleryIndex, rows: list[GalleryFace]) -> None:
    removed = [r.id for r in rows if r.removed_at is not None or r.embedding is None]
    index.remove(removed)
    active = [r for r in rows if r.removed_at is None and r.embedding is not None]
    for start in range(0, len(active), BATCH):
        chunk = active[start : start + BATCH]
        opened = open_fields(session, chunk, ["embedding"])
        index.add(
            [(r.id, embedding_of(o["embedding"])) for r, o in zip(chunk, opened, strict=True)]
        )
    for r in rows:
        stamp = as_utc(r.changed_at)
        if index.stamp is None or stamp > index.stamp:
            index.stamp = stamp


def rebuild(
    runtime: Runtime,
    session: Session,
    gallery: str,
    progress: Callable[[int, int], None] | None = None,
) -> GalleryIndex:
    """Build ``gallery``'s index from the database alone, persist it and cache it."""
    index = GalleryIndex(gallery=gallery)
    total = _active_count(session, gallery)
    done = 0
    stmt = (
        select(GalleryFace)
        .where(GalleryFace.gallery == gallery, GalleryFace.removed_at.is_(None))
        .order_by(GalleryFace.changed_at)
        .execution_options(yield_per=BATCH)
    )
    for rows in session.execute(stmt).scalars().partitions(BATCH):
        _apply(session, index, list(rows))
        done += len(rows)
        if progress is not None:
            progress(done, total)
    index.save(_path(runtime, gallery))
    _cache(runtime)[gallery] = index
    return index


def _caught_up(runtime: Runtime, session: Session, gallery: str) -> GalleryIndex:
    """``gallery``'s index, caught up with the database (rebuilt if it disagrees); the caller
    holds ``_lock``."""
    cache = _cache(runtime)
    index = cache.get(gallery) or GalleryIndex.load(gallery, _path(runtime, gallery))
    if index is None:
        return rebuild(runtime, session, gallery)
    _catch_up(session, index)
    if len(index) != _active_count(session, gallery):
        return rebuild(runtime, session, gallery)
    cache[gallery] = index
    if index.save_due(utcnow()):
        index.save(_path(runtime, gallery))
    return index


@dataclass(frozen=True)
class Searched:
    """A search's hits, best first, and how many faces each gallery held when searched."""

    hits: list[Hit]
    sizes: dict[str, int]

    @property
    def size(self) -> int:
        """Faces searched in all: the N of the open-set threshold."""
        return sum(self.sizes.values())


def search(
    runtime: Runtime, session: Session, galleries: Iterable[Gallery], probe: Vectors, k: int
) -> Searched:
    """The ``k`` most similar active faces across ``galleries``, best first, and the galleries'
    sizes as searched.

    Each gallery is caught up and searched under one lock: FAISS does not let one thread add
    codes while another scans them (a search takes milliseconds, and searches are an
    operator's deliberate acts, so taking turns costs nothing that matters)."""
    hits: list[Hit] = []
    sizes: dict[str, int] = {}
    for gallery in galleries:
        with _lock:
            caught_up = _caught_up(runtime, session, gallery.value)
            sizes[gallery.value] = len(caught_up)
            hits.extend(caught_up.search(probe, k))
    return Searched(sorted(hits, key=lambda h: h.similarity, reverse=True)[:k], sizes)


def describe() -> str:
    """How galleries are searched, for ``kotwal frs status`` and the status API."""
    return (
        f"exact below {ANN_MIN_FACES:,} faces a gallery; from there a FAISS fast-scan "
        f"({ANN_BITS}-bit product-quantised) shortlist of {ANN_SHORTLIST:,} re-scored exactly"
    )


def sizes(session: Session) -> dict[str, int]:
    """Active faces per gallery, as the database counts them."""
    return {g.value: _active_count(session, g.value) for g in Gallery}
