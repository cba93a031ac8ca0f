"""The search index on its own: exact search ranks by cosine; the HNSW graph (usearch), used
from a size on, returns what exact search returns on face-like data, follows additions and
removals, and is persisted and restored with the vectors."""

from __future__ import annotations

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


def test_exact_search_ranks_by_cosine(encoded: dict[str, Face]) -> None:
    index = GalleryIndex(gallery="offenders")
    index.add([(name, face.embedding) for name, face in encoded.items()])
    hits = index.search(encoded["obama2.jpg"].embedding, 3)
    assert [h.face_id for h in hits][:2] == ["obama2.jpg", "obama.jpg"]
    assert hits[0].similarity >= hits[1].similarity >= hits[2].similarity


def test_the_graph_finds_what_exact_search_finds_and_follows_changes(
    encoded: dict[str, Face], tmp_path: Path
) -> None:
    ids, vectors = _gallery(encoded, 3000)
    graph = GalleryIndex(gallery="offenders", ann_min=1000)
    graph.add(list(zip(ids, vectors, strict=True)))
    assert graph.ann is not None and len(graph.ann) == 3000
    exact = GalleryIndex(gallery="offenders", ann_min=10**9)
    exact.add(list(zip(ids, vectors, strict=True)))
    probes = _unit(vectors[:200] + np.random.default_rng(8).normal(0, 0.01, (200, 128)))
    agree = sum(graph.search(p, 1)[0].face_id == exact.search(p, 1)[0].face_id for p in probes)
    assert agree >= 196

    graph.remove(["face-0"])
    assert "face-0" not in [h.face_id for h in graph.search(vectors[0], 5)]
    graph.add([("late", encoded["biden.jpg"].embedding)])
    assert graph.search(encoded["biden.jpg"].embedding, 1)[0].face_id == "late"

    graph.save(tmp_path / "offenders.npz")
    restored = GalleryIndex.load("offenders", tmp_path / "offenders.npz", ann_min=1000)
    assert restored is not None and restored.ann is not None
    assert len(restored.ann) == len(restored.ids) == 3000
    assert restored.search(encoded["biden.jpg"].embedding, 1)[0].face_id == "late"
    assert (tmp_path / "offenders.usearch").exists()
