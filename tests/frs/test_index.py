"""The search index on its own: exact search ranks by cosine; the compressed copy (FAISS
fast-scan product quantisation), used from a size on, returns what exact search returns on
face-like data, follows additions and removals (removed faces never come back, keys are never
reused), and is persisted and restored with the vectors."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from kotwal.frs.engine import EMBEDDING_DIM, Face
from kotwal.frs.index import GalleryIndex


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _gallery(encoded: dict[str, Face], n: int) -> tuple[list[str], np.ndarray]:
    """``n`` face-like vectors: the real portraits' mean direction plus spread, so that they
    sit in the same narrow cone as real embeddings (cosine about 0.8 to each other)."""
    rng = np.random.default_rng(7)
    centre = _unit(np.stack([f.embedding for f in encoded.values()]).mean(0, keepdims=True))
    spread = rng.normal(0, 0.05, size=(n, EMBEDDING_DIM))
    return [f"face-{i}" for i in range(n)], _unit(centre + spread)


def _filled(gallery: str, ids: list[str], vectors: np.ndarray, ann_min: int) -> GalleryIndex:
    index = GalleryIndex(gallery=gallery, ann_min=ann_min)
    index.add(list(zip(ids, vectors, strict=True)))
    return index


def test_exact_search_ranks_by_cosine(encoded: dict[str, Face]) -> None:
    index = GalleryIndex(gallery="offenders")
    index.add([(name, face.embedding) for name, face in encoded.items()])
    hits = index.search(encoded["obama2.jpg"].embedding, 3)
    assert [h.face_id for h in hits][:2] == ["obama2.jpg", "obama.jpg"]
    assert hits[0].similarity >= hits[1].similarity >= hits[2].similarity


def test_the_compressed_copy_finds_what_exact_search_finds_and_follows_changes(
    encoded: dict[str, Face], tmp_path: Path
) -> None:
    ids, vectors = _gallery(encoded, 3000)
    index = _filled("offenders", ids, vectors, ann_min=1000)
    assert index.ann is not None and index.ann.ntotal == 3000
    exact = _filled("offenders", ids, vectors, ann_min=10**9)
    probes = _unit(vectors[:200] + np.random.default_rng(8).normal(0, 0.01, (200, 128)))
    for probe in probes:
        found, truth = index.search(probe, 5), exact.search(probe, 5)
        assert [h.face_id for h in found] == [h.face_id for h in truth]
        assert [h.similarity for h in found] == [h.similarity for h in truth]  # re-scored

    index.remove(["face-0", "face-2999"])
    assert index.dead == 2  # coded still, never returned
    assert "face-0" not in [h.face_id for h in index.search(vectors[0], 50)]
    index.add([("late", encoded["biden.jpg"].embedding)])
    assert index.keys[-1] == 3000  # face-2999's key is not given again
    assert index.search(encoded["biden.jpg"].embedding, 1)[0].face_id == "late"

    index.save(tmp_path / "offenders.npz")
    assert (tmp_path / "offenders.faiss").exists()
    restored = GalleryIndex.load("offenders", tmp_path / "offenders.npz", ann_min=1000)
    assert restored is not None and restored.ann is not None
    assert restored.ann.ntotal == 3001 and restored.dead == 2  # restored, not rebuilt
    assert restored.search(encoded["biden.jpg"].embedding, 1)[0].face_id == "late"
    assert "face-0" not in [h.face_id for h in restored.search(vectors[0], 50)]
    restored.add([("later", encoded["obama.jpg"].embedding)])
    assert restored.keys[-1] == 3001


def test_too_many_tombstones_rebuild_the_copy_and_a_stale_copy_is_not_trusted(
    encoded: dict[str, Face], tmp_path: Path
) -> None:
    ids, vectors = _gallery(encoded, 2000)
    index = _filled("missing", ids, vectors, ann_min=1000)
    index.save(tmp_path / "missing.npz")
    stale = (tmp_path / "missing.faiss").read_bytes()

    index.remove(ids[:150])
    assert index.dead == 150  # within the share allowed
    index.remove(ids[150:300])
    assert index.dead == 0 and index.ann.ntotal == 1700  # past it: rebuilt from the vectors
    assert index.search(vectors[10], 1)[0].face_id != ids[10]

    index.add([("new", encoded["biden.jpg"].embedding)])
    index.save(tmp_path / "missing.npz")
    (tmp_path / "missing.faiss").write_bytes(stale)  # a copy that never coded "new"
    restored = GalleryIndex.load("missing", tmp_path / "missing.npz", ann_min=1000)
    assert restored is not None and restored.ann is not None
    assert restored.ann.ntotal == 1701 and restored.dead == 0  # rebuilt, not trusted
    assert restored.search(encoded["biden.jpg"].embedding, 1)[0].face_id == "new"


def test_faces_added_one_batch_at_a_time_and_removed_between_are_all_searched_right(
    encoded: dict[str, Face],
) -> None:
    ids, vectors = _gallery(encoded, 1200)
    index = GalleryIndex(gallery="offenders", ann_min=500)
    for start in range(0, 1200, 40):
        index.add(list(zip(ids[start : start + 40], vectors[start : start + 40], strict=True)))
        if start == 400:
            index.remove(ids[100:150])
    kept = [n for n in range(1200) if not 100 <= n < 150]
    assert index.ids == [ids[n] for n in kept]
    assert np.array_equal(index.vectors, vectors[kept])
    fresh = _filled("offenders", [ids[n] for n in kept], vectors[kept], ann_min=10**9)
    for probe in vectors[::97]:
        assert [h.face_id for h in index.search(probe, 3)] == [
            h.face_id for h in fresh.search(probe, 3)
        ]


def test_files_are_rewritten_after_a_share_of_changes_or_a_while_and_only_the_owner_reads_them(
    encoded: dict[str, Face], tmp_path: Path
) -> None:
    ids, vectors = _gallery(encoded, 1500)
    index = _filled("offenders", ids[:1000], vectors[:1000], ann_min=500)
    now = datetime.now(UTC)
    assert index.save_due(now)  # never written
    index.save(tmp_path / "offenders.npz")
    for name in ("offenders.npz", "offenders.faiss"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert not index.save_due(now)
    index.add(list(zip(ids[1000:1005], vectors[1000:1005], strict=True)))
    assert not index.save_due(now)  # 5 changes: under 1 % of the gallery
    assert index.save_due(now + timedelta(minutes=6))  # but not kept waiting for long
    index.remove(ids[:6])
    assert index.save_due(now)  # 11 changes
    index.save(tmp_path / "offenders.npz")
    assert not index.save_due(now + timedelta(minutes=6))
