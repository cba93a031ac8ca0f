"""Which detector's box to align from: chosen on LFW's development view, reported on its test view.

    PYTHONPATH=bench nice -n 19 .venv/bin/python -m studies.frs_detect
        # encodes 9,056 images once (HOG and CNN detection, 2 chips each)

kotwal finds a face with dlib's HOG detector and falls back to the CNN (MMOD) detector only
where HOG finds nothing (``engine.DlibEngine._detect``); for one-person images such as LFW's,
it takes the face nearest the centre. Two failures that fallback cannot see: HOG finds a face,
but not the person's (a face behind them, nearer the centre than the one it missed), or finds
theirs with a box that the 5-point predictor aligns badly. This study runs *both* detectors on
every image of LFW's View 1 (pairsDevTrain, pairsDevTest) and View 2 (pairs.txt), encodes the
chip (and its mirror) aligned from each detector's face nearest the centre, and scores:

- ``hog``: today's rule (HOG, else CNN, else a central box);
- ``cnn``: the CNN detector first, else HOG, else a central box;
- ``fuse``: the mean of both alignments' descriptors where both detectors found the face;
- ``offcentre-<d>``: HOG, unless its face's centre lies more than ``d`` of the image's width
  from the image's centre and the CNN detector's face lies nearer: then the CNN's.

Pipelines are chosen on **View 1** (threshold chosen on pairsDevTrain and applied to
pairsDevTest, and the other way round) and reported on **View 2** (10 folds, threshold from the
other nine). The last line printed is one JSON object. Descriptors are cached under
``<cache>/detect`` (see bench/frs.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

import frs  # bench/frs.py: paths, pairs, thresholds
from studies import frs_views  # View 1 pairs, evaluation, unit scaling
from studies.frs_views import unit

FOLDER = frs.CACHE / "detect"
#: Rows of an image's descriptors: HOG chip, HOG mirror, CNN chip, CNN mirror (NaN if absent).
ROWS = 4
#: Per image: HOG found, HOG centre distance / width, CNN found, CNN centre distance / width,
#: faces HOG found, faces the CNN found.
META = 6
OFFCENTRE = (0.05, 0.08, 0.12, 0.16, 0.2, 0.3)
#: LFW's faces are about 100 px wide, above the CNN detector's 80 px window: no upsampling
#: (upsampling once found the same faces here at five times the cost).
CNN_UPSAMPLE = 0


def _encode(rel: str) -> tuple[str, np.ndarray, np.ndarray]:
    """Both detectors' faces nearest the centre of one image, each encoded with its mirror."""
    import dlib  # type: ignore[import-untyped]

    from kotwal.core import images
    from kotwal.frs import engine

    models = engine._loaded()
    decoded = images.decode((frs.IMAGES / rel).read_bytes())
    pixels = np.ascontiguousarray(np.asarray(decoded.image, dtype=np.uint8))
    h, w = pixels.shape[:2]
    vec = np.full((ROWS, 128), np.nan, np.float32)
    meta = np.zeros(META, np.float32)
    hog = list(models.hog(pixels, 1))
    cnn = [d.rect for d in models.cnn(pixels, CNN_UPSAMPLE)]
    if not hog and not cnn:  # both missed: a central box stands in for both
        hog = [dlib.rectangle(int(w * 0.3), int(h * 0.3), int(w * 0.7), int(h * 0.7))]
    chips = []
    for slot, rects in ((0, hog), (1, cnn)):
        if not rects:
            continue
        rect = min(rects, key=lambda r: engine._centre_distance(r, w, h))
        meta[slot * 2] = 1
        meta[slot * 2 + 1] = engine._centre_distance(rect, w, h) ** 0.5 / w
        meta[4 + slot] = len(rects)
        shape = models.shape(pixels, rect)
        chip = np.asarray(dlib.get_face_chip(pixels, shape, size=150, padding=0.25))
        chips.append((slot, [chip, np.ascontiguousarray(chip[:, ::-1, :])]))
    for slot, pair in chips:
        a, b = models.encoder.compute_face_descriptor(pair)
        vec[slot * 2], vec[slot * 2 + 1] = np.asarray(a), np.asarray(b)
    return rel, vec, meta


def encode(wanted: list[str], processes: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Every wanted image's rows and meta, encoding (and caching) those not cached yet."""
    FOLDER.mkdir(parents=True, exist_ok=True, mode=0o700)
    vecs: dict[str, np.ndarray] = {}
    metas: dict[str, np.ndarray] = {}
    for part in sorted(FOLDER.glob("part-*.npz")):
        with np.load(part, allow_pickle=False) as data:
            rels = [str(r) for r in data["rel"]]
            vecs.update(zip(rels, data["vec"], strict=True))
            metas.update(zip(rels, data["meta"], strict=True))
    todo = [r for r in wanted if r not in vecs]
    if todo:
        print(f"encoding {len(todo):,} images, both detectors", file=sys.stderr, flush=True)
        started, pending = time.perf_counter(), []
        with ProcessPoolExecutor(max_workers=processes, initializer=frs.worker_init) as pool:
            for done, (rel, vec, meta) in enumerate(pool.map(_encode, todo, chunksize=8), 1):
                vecs[rel], metas[rel] = vec, meta
                pending.append((rel, vec, meta))
                if len(pending) >= 256 or done == len(todo):
                    _save(pending)
                    pending = []
                    rate = done / (time.perf_counter() - started)
                    print(f"  {done:,}/{len(todo):,} ({rate:.1f} images/s)", file=sys.stderr)
    return vecs, metas


def _save(rows: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    n = len(list(FOLDER.glob("part-*.npz")))
    tmp = FOLDER / f"part-{n:04d}.tmp.npz"
    np.savez(
        tmp,
        rel=np.array([r for r, _, _ in rows]),
        vec=np.stack([v for _, v, _ in rows]),
        meta=np.stack([m for _, _, m in rows]),
    )
    tmp.replace(FOLDER / f"part-{n:04d}.npz")


def embedding(vec: np.ndarray, meta: np.ndarray, pipeline: str) -> np.ndarray:
    """One image's unit descriptor under ``pipeline`` (chip and mirror averaged)."""
    hog = unit(vec[0] + vec[1]) if meta[0] or not meta[2] else None
    cnn = unit(vec[2] + vec[3]) if meta[2] else None
    if pipeline == "hog":
        chosen = hog if hog is not None else cnn
    elif pipeline == "cnn":
        chosen = cnn if cnn is not None else hog
    elif pipeline == "fuse":
        parts = [x for x in (hog, cnn) if x is not None]
        chosen = unit(np.sum(parts, axis=0))
    elif pipeline.startswith("offcentre-"):
        limit = float(pipeline.removeprefix("offcentre-"))
        switch = hog is None or (cnn is not None and meta[1] > limit and meta[3] < meta[1])
        chosen = cnn if switch and cnn is not None else hog
    else:
        raise ValueError(pipeline)
    assert chosen is not None
    return np.asarray(chosen, np.float64)


def study(vecs: dict[str, np.ndarray], metas: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Every pipeline's View 1 and View 2 accuracy, best on View 1 first."""
    rows = []
    for pipeline in ["hog", "cnn", "fuse", *(f"offcentre-{d}" for d in OFFCENTRE)]:

        def emb(rel: str, pipeline: str = pipeline) -> np.ndarray:
            return embedding(vecs[rel], metas[rel], pipeline)

        rows.append({"pipeline": pipeline, **frs_views.evaluate(frs_views.cosine(emb))})
    return sorted(rows, key=lambda row: -row["view1_accuracy"])


def detections(metas: dict[str, np.ndarray]) -> dict[str, int]:
    """How often each detector found a face, and how often they disagreed on where."""
    m = np.stack(list(metas.values()))
    both = (m[:, 0] == 1) & (m[:, 2] == 1)
    return {
        "images": len(m),
        "hog_found": int((m[:, 0] == 1).sum()),
        "cnn_found": int((m[:, 2] == 1).sum()),
        "neither": int(((m[:, 0] == 0) & (m[:, 2] == 0)).sum()),
        "hog_several": int((m[:, 4] > 1).sum()),
        "cnn_several": int((m[:, 5] > 1).sum()),
        "hog_offcentre_0.12": int((both & (m[:, 1] > 0.12)).sum()),
        "cnn_offcentre_0.12": int((both & (m[:, 3] > 0.12)).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    import dlib

    wanted = frs_views.study_images()
    vecs, metas = encode(wanted, args.processes)
    rows = study(vecs, metas)
    for row in rows:
        print(f"  {json.dumps(row)}", file=sys.stderr)
    print(
        json.dumps(
            {
                "dlib_blas": bool(getattr(dlib, "DLIB_USE_BLAS", False)),
                "detections": detections(metas),
                "chosen_on_view1": rows[0]["pipeline"],
                "chosen_view2_accuracy": rows[0]["view2_accuracy"],
                "pipelines": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
