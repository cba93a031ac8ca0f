"""Which views of a face to average: chosen on LFW's development view, reported on its test view.

    PYTHONPATH=bench nice -n 19 .venv/bin/python -m studies.frs_views
        # encodes 9,056 images once (4 views each: ~13 min with the OpenBLAS build)

kotwal averages the descriptors of a face's aligned chip and of its mirror image
(``engine.DlibEngine.encode_chip``). Other views are cheap to make: dlib also ships a 68-point
landmark model, whose chip is aligned slightly differently. This study encodes, for every
image of LFW's View 1 (pairsDevTrain, pairsDevTest) and View 2 (pairs.txt), four views of the
face that ``bench/frs.py`` detects (HOG, else the CNN detector, else a central box): the
5-point chip, its mirror, the 68-point chip, its mirror; and scores every combination of them
(mean of unit descriptors, cosine similarity):

- on **View 1**, the development set, where a pipeline may be chosen: the threshold is chosen
  on pairsDevTrain and applied to pairsDevTest, and the other way round (3,200 pairs);
- on **View 2**, the 6,000 test pairs in 10 folds (threshold from the other nine folds), where
  the chosen pipeline is reported. Choosing by View 2 would be choosing on the test set: with
  a fold's standard deviation around 0.35 point, fifteen combinations differ by noise alone.

Descriptors are cached under ``<cache>/views`` (see bench/frs.py). The last line printed is
one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

import frs  # bench/frs.py: paths, pairs, thresholds

VIEWS = ("chip5", "mirror5", "chip68", "mirror68")
FOLDER = frs.CACHE / "views"
_models: dict[str, Any] = {}


def view1(name: str) -> list[tuple[str, str, bool]]:
    """The pairs of one View 1 file (pairsDevTrain.txt or pairsDevTest.txt)."""
    pairs = []
    for line in (frs.META / name).read_text().splitlines()[1:]:
        p = line.split("\t")
        if len(p) == 3:
            pairs.append((frs.image_rel(p[0], int(p[1])), frs.image_rel(p[0], int(p[2])), True))
        elif len(p) == 4:
            pairs.append((frs.image_rel(p[0], int(p[1])), frs.image_rel(p[2], int(p[3])), False))
    return pairs


def study_images() -> list[str]:
    """Every image in LFW's View 1 (pairsDevTrain, pairsDevTest) and View 2 (pairs.txt)."""
    wanted = {x for f in frs.read_pairs() for a, b, _ in f for x in (a, b)}
    for name in ("pairsDevTrain.txt", "pairsDevTest.txt"):
        wanted |= {x for a, b, _ in view1(name) for x in (a, b)}
    return sorted(wanted)


def _init() -> None:
    import dlib  # type: ignore[import-untyped]
    import face_recognition_models  # type: ignore[import-untyped]

    from kotwal.frs import engine

    _models["kotwal"] = engine._loaded()
    _models["shape68"] = dlib.shape_predictor(
        face_recognition_models.pose_predictor_model_location()
    )


def _encode(rel: str) -> tuple[str, np.ndarray]:
    """The four views' descriptors of one image's face, as rows in :data:`VIEWS` order."""
    import dlib

    from kotwal.core import images
    from kotwal.frs import engine

    models = _models["kotwal"]
    decoded = images.decode((frs.IMAGES / rel).read_bytes())
    pixels = np.ascontiguousarray(np.asarray(decoded.image, dtype=np.uint8))
    h, w = pixels.shape[:2]
    rects = list(models.hog(pixels, 1)) or [d.rect for d in models.cnn(pixels, 1)]
    if rects:
        rect = min(rects, key=lambda r: engine._centre_distance(r, w, h))
    else:
        rect = dlib.rectangle(int(w * 0.3), int(h * 0.3), int(w * 0.7), int(h * 0.7))
    chips = []
    for predictor in (models.shape, _models["shape68"]):
        chip = np.asarray(
            dlib.get_face_chip(pixels, predictor(pixels, rect), size=150, padding=0.25)
        )
        chips += [chip, np.ascontiguousarray(chip[:, ::-1, :])]
    return rel, np.asarray(models.encoder.compute_face_descriptor(chips), np.float32)


def encode(wanted: list[str], processes: int) -> dict[str, np.ndarray]:
    FOLDER.mkdir(parents=True, exist_ok=True, mode=0o700)
    found: dict[str, np.ndarray] = {}
    for part in sorted(FOLDER.glob("part-*.npz")):
        with np.load(part, allow_pickle=False) as data:
            found.update(zip((str(r) for r in data["rel"]), data["vec"], strict=True))
    todo = [r for r in wanted if r not in found]
    if not todo:
        return found
    print(f"encoding {len(todo):,} images, 4 views each", file=sys.stderr, flush=True)
    started, pending = time.perf_counter(), []
    with ProcessPoolExecutor(max_workers=processes, initializer=_init) as pool:
        for done, (rel, vec) in enumerate(pool.map(_encode, todo, chunksize=8), 1):
            found[rel] = vec
            pending.append((rel, vec))
            if len(pending) >= 256 or done == len(todo):
                n = len(list(FOLDER.glob("part-*.npz")))
                tmp = FOLDER / f"part-{n:04d}.tmp.npz"
                np.savez(
                    tmp,
                    rel=np.array([r for r, _ in pending]),
                    vec=np.stack([v for _, v in pending]),
                )
                tmp.replace(FOLDER / f"part-{n:04d}.npz")
                pending = []
                rate = done / (time.perf_counter() - started)
                print(
                    f"  {done:,}/{len(todo):,} ({rate:.1f} images/s)", file=sys.stderr, flush=True
                )
    return found


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to unit length along its last axis (dtype kept)."""
    scaled: np.ndarray = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return scaled


Score = Callable[[str, str], float]


def cosine(embed: Callable[[str], np.ndarray]) -> Score:
    """The pair score of an embedding of unit vectors: their cosine."""

    def score(a: str, b: str) -> float:
        return float(embed(a) @ embed(b))

    return score


def _scores(pairs: list[tuple[str, str, bool]], score: Score) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([score(a, b) for a, b, _ in pairs]),
        np.array([same for _, _, same in pairs]),
    )


def _accuracy(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]) -> float:
    threshold = frs.best_threshold(*train)
    return float(np.mean((test[0] >= threshold) == test[1]))


def evaluate(score: Score) -> dict[str, float | int]:
    """Accuracy of a pair score (higher: more alike) on View 1, where a pipeline may be chosen
    (threshold from pairsDevTrain applied to pairsDevTest and the other way round), and on
    View 2's ten folds (threshold from the other nine), where the chosen one is reported."""
    dev_train, dev_test = view1("pairsDevTrain.txt"), view1("pairsDevTest.txt")
    a, b = _scores(dev_train, score), _scores(dev_test, score)
    view1_acc = (_accuracy(a, b) * len(dev_test) + _accuracy(b, a) * len(dev_train)) / (
        len(dev_test) + len(dev_train)
    )
    per_fold = [_scores(fold, score) for fold in frs.read_pairs()]
    accs = []
    for k, held_out in enumerate(per_fold):
        others = [f for j, f in enumerate(per_fold) if j != k]
        train = (np.concatenate([s for s, _ in others]), np.concatenate([y for _, y in others]))
        accs.append(_accuracy(train, held_out))
    return {
        "view1_accuracy": round(view1_acc * 100, 3),
        "view2_accuracy": round(float(np.mean(accs)) * 100, 3),
        "view2_std": round(float(np.std(accs)) * 100, 3),
        "view2_errors": round((1 - float(np.mean(accs))) * sum(len(y) for _, y in per_fold)),
    }


def study(vectors: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    for r in range(1, len(VIEWS) + 1):
        for combo in itertools.combinations(range(len(VIEWS)), r):

            def emb(rel: str, combo: tuple[int, ...] = combo) -> np.ndarray:
                return unit(unit(vectors[rel][list(combo)].astype(np.float64)).sum(axis=0))

            rows.append(
                {
                    "views": "+".join(VIEWS[i] for i in combo),
                    "encodings": len(combo),
                    **evaluate(cosine(emb)),
                }
            )
    return sorted(rows, key=lambda row: -row["view1_accuracy"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    import dlib

    wanted = study_images()
    vectors = encode(wanted, args.processes)
    rows = study(vectors)
    for row in rows:
        print(f"  {json.dumps(row)}", file=sys.stderr)
    chosen = rows[0]
    print(
        json.dumps(
            {
                "dlib_blas": bool(getattr(dlib, "DLIB_USE_BLAS", False)),
                "images": len(wanted),
                "chosen_on_view1": chosen["views"],
                "chosen_view2_accuracy": chosen["view2_accuracy"],
                "combinations": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
