"""Face recognition benchmark: accuracy on LFW, throughput, and 1:N search at state scale.

    nice -n 19 .venv/bin/python bench/frs.py            # the full run (encodes 13,233 images
                                                        # once, ~30-60 min on 2 cores)
    .venv/bin/python bench/frs.py --fast                # one fold, a 10,000 gallery

The last line printed is one JSON object with every figure. Encodings are cached under
/tmp/kotwal-frs-cache (never in the repository), so a second run only searches.

What is measured, and how:
- **Encoding.** Every LFW image (deep-funneled, 250x250) goes through kotwal's own decoder
  (core/images.py) and dlib: HOG with one upsample, the face nearest the centre; where HOG finds
  nothing, the CNN detector (upsampled once); where that finds nothing too, a central box.
  For each image the cache keeps the ResNet descriptor of the aligned chip and of its mirror
  image, and for CNN-rescued images also the central-box descriptors, so the steps below are
  compared on identical detections.
- **Verification** (the 6,000 pairs of pairs.txt, 10 folds, threshold chosen on the other nine
  folds by best accuracy), for three pipelines: ``plain`` (HOG, central box where HOG fails, no
  flip: the issue's 98.75 % baseline), ``cnn`` (CNN fallback instead of the central box),
  ``cnn+flip`` (chip and mirror descriptors averaged: kotwal's pipeline).
- **Identification.** 10 % of the identities with two or more images are held out (seeded);
  every other identity is enrolled with its first image. Probes are the remaining images of
  enrolled identities (rank-1 and rank-5) and all images of held-out identities (no-match rate:
  the share whose best candidate stays below the calibrated threshold). The threshold is
  calibrated by ``service.choose_threshold`` on LFW's peopleDevTrain identities at FMR 1e-3.
- **Throughput.** Faces per second end to end (read, decode, detect, align, encode) over a
  sample of images through ``engine.encode_batch`` on every core, with and without flip.
- **1:N at scale.** The LFW gallery plus synthetic distractors up to 10k / 100k / 1M. The
  distractors are drawn from a Gaussian fitted to real LFW embeddings (mean and full 128x128
  covariance of one embedding per identity), then L2-normalised: so their similarity to real
  probes is distributed like that of real strangers (checked and printed: mean and 99.9th
  percentile of probe-to-distractor similarity against probe-to-stranger similarity), not like
  random unit vectors, which are all nearly orthogonal to a face. Queries are the LFW probes.
  Reported: exact search latency, and for kotwal's own index (a FAISS fast-scan compressed
  copy whose shortlist is re-scored exactly) and the bare HNSW graphs of hnswlib, usearch and
  FAISS where installed (``--indexes`` chooses): build time, memory, p50/p95 latency per single
  query, share of queries whose exact top-1 the index also ranks first, and LFW rank-1 against
  exact search. ``--search-only`` measures only this, from the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

# One BLAS thread per process, as kotwal's enrolment workers run (kotwal.frs.engine): the
# benchmark's own workers fill every core already. Set before dlib loads OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

LFW = Path(os.environ.get("KOTWAL_LFW", "/work/shared/faces"))
IMAGES = LFW / "lfw-deepfunneled"
META = LFW / "lfw_meta"
# A fixed path by design: the brief names it, and the cache holds only LFW descriptors.
CACHE = Path(os.environ.get("KOTWAL_FRS_CACHE", "/tmp/kotwal-frs-cache"))  # noqa: S108
CHUNK = 64
SEED = 20261128


# --- encoding with a cache ------------------------------------------------------------------


def read_pairs() -> list[list[tuple[str, str, bool]]]:
    """pairs.txt as 10 folds of (image a, image b, same person)."""
    lines = (META / "pairs.txt").read_text().split("\n")
    folds_n, per = (int(x) for x in lines[0].split())
    folds: list[list[tuple[str, str, bool]]] = []
    rows = [line.split() for line in lines[1:] if line.strip()]
    for f in range(folds_n):
        fold = []
        for parts in rows[f * 2 * per : (f + 1) * 2 * per]:
            same = len(parts) == 3
            other = parts[0] if same else parts[2]
            a, b = image_rel(parts[0], int(parts[1])), image_rel(other, int(parts[-1]))
            fold.append((a, b, same))
        folds.append(fold)
    return folds


def image_rel(name: str, n: int) -> str:
    """Image ``n`` of identity ``name``, relative to :data:`IMAGES` (as pairs files number it)."""
    return f"{name}/{name}_{n:04d}.jpg"


def all_images() -> list[str]:
    return sorted(
        f"{d.name}/{f.name}" for d in IMAGES.iterdir() if d.is_dir() for f in d.glob("*.jpg")
    )


def worker_init() -> None:
    """Load dlib's models once in a pool worker, before its first image."""
    from kotwal.frs import engine

    engine._loaded()


def _encode_lfw(rel: str) -> dict[str, Any]:
    """One LFW image: detector used, chip and mirror descriptors (and central-box ones when a
    detector other than HOG was needed)."""
    import dlib  # type: ignore[import-not-found, import-untyped, unused-ignore]

    from kotwal.core import images
    from kotwal.frs import engine

    models = engine._loaded()
    decoded = images.decode((IMAGES / rel).read_bytes())
    pixels = np.ascontiguousarray(np.asarray(decoded.image, dtype=np.uint8))
    h, w = pixels.shape[:2]
    rects = list(models.hog(pixels, 1))
    detector = "hog"
    if not rects:
        rects = [d.rect for d in models.cnn(pixels, 1)]
        detector = "cnn" if rects else "centre"
    centre = dlib.rectangle(int(w * 0.3), int(h * 0.3), int(w * 0.7), int(h * 0.7))

    def descriptors(rect: Any) -> tuple[np.ndarray, np.ndarray]:
        shape = models.shape(pixels, rect)
        chip = np.asarray(dlib.get_face_chip(pixels, shape, size=150, padding=0.25))
        mirrored = np.ascontiguousarray(chip[:, ::-1, :])
        a, b = models.encoder.compute_face_descriptor([chip, mirrored])
        return np.asarray(a, np.float32), np.asarray(b, np.float32)

    out: dict[str, Any] = {"rel": rel, "detector": detector}
    if rects:
        rect = min(rects, key=lambda r: engine._centre_distance(r, w, h))
        out["chip"], out["mirror"] = descriptors(rect)
    if detector != "hog":
        out["centre_chip"], out["centre_mirror"] = descriptors(centre)
        if detector == "centre":
            out["chip"], out["mirror"] = out["centre_chip"], out["centre_mirror"]
    return out


def load_cache() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for part in sorted(CACHE.glob("chunk-*.npz")):
        with np.load(part, allow_pickle=False) as data:
            rels = [str(r) for r in data["rel"]]
            for i, rel in enumerate(rels):
                entry: dict[str, Any] = {
                    "detector": str(data["detector"][i]),
                    "chip": data["chip"][i],
                    "mirror": data["mirror"][i],
                }
                if bool(data["has_centre"][i]):
                    entry["centre_chip"] = data["centre_chip"][i]
                    entry["centre_mirror"] = data["centre_mirror"][i]
                found[rel] = entry
    return found


def _save_chunk(results: list[dict[str, Any]]) -> None:
    CACHE.mkdir(parents=True, exist_ok=True, mode=0o700)
    zero = np.zeros(128, np.float32)
    n = len(list(CACHE.glob("chunk-*.npz")))
    tmp = CACHE / f"chunk-{n:05d}.tmp.npz"
    np.savez(
        tmp,
        rel=np.array([r["rel"] for r in results]),
        detector=np.array([r["detector"] for r in results]),
        chip=np.stack([r["chip"] for r in results]),
        mirror=np.stack([r["mirror"] for r in results]),
        has_centre=np.array(["centre_chip" in r for r in results]),
        centre_chip=np.stack([r.get("centre_chip", zero) for r in results]),
        centre_mirror=np.stack([r.get("centre_mirror", zero) for r in results]),
    )
    tmp.replace(CACHE / f"chunk-{n:05d}.npz")


def encode_all(wanted: list[str], processes: int) -> dict[str, dict[str, Any]]:
    """Encode every wanted image not yet cached, saving every :data:`CHUNK` images."""
    cache = load_cache()
    todo = [r for r in wanted if r not in cache]
    if todo:
        print(f"encoding {len(todo):,} images on {processes} processes", file=sys.stderr)
        started, done, pending = time.perf_counter(), 0, []
        with ProcessPoolExecutor(max_workers=processes, initializer=worker_init) as pool:
            for result in pool.map(_encode_lfw, todo, chunksize=8):
                pending.append(result)
                done += 1
                if len(pending) >= CHUNK:
                    _save_chunk(pending)
                    pending = []
                    rate = done / (time.perf_counter() - started)
                    print(
                        f"  {done:,}/{len(todo):,} ({rate:.1f} images/s)",
                        file=sys.stderr,
                        flush=True,
                    )
            if pending:
                _save_chunk(pending)
        cache = load_cache()
    return cache


def _encode_jittered(job: tuple[str, int]) -> tuple[str, np.ndarray]:
    """One LFW image as kotwal detects it (HOG, else CNN, else the central box), its chip
    encoded ``n`` times with dlib's random jitter (small shifts, rotations, scalings and
    mirroring) and averaged."""
    import dlib

    from kotwal.core import images
    from kotwal.frs import engine

    rel, n = job
    models = engine._loaded()
    pixels = np.ascontiguousarray(
        np.asarray(images.decode((IMAGES / rel).read_bytes()).image, dtype=np.uint8)
    )
    h, w = pixels.shape[:2]
    rects = list(models.hog(pixels, 1)) or [d.rect for d in models.cnn(pixels, 1)]
    if rects:
        rect = min(rects, key=lambda r: engine._centre_distance(r, w, h))
    else:
        rect = dlib.rectangle(int(w * 0.3), int(h * 0.3), int(w * 0.7), int(h * 0.7))
    chip = np.asarray(
        dlib.get_face_chip(pixels, models.shape(pixels, rect), size=150, padding=0.25)
    )
    return rel, np.asarray(models.encoder.compute_face_descriptor(chip, num_jitters=n), np.float32)


def encode_jittered(wanted: list[str], n: int, processes: int) -> dict[str, np.ndarray]:
    """Jittered descriptors of ``wanted`` images, cached under CACHE/jitter-<n>."""
    folder = CACHE / f"jitter-{n}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    found: dict[str, np.ndarray] = {}
    for part in sorted(folder.glob("chunk-*.npz")):
        with np.load(part, allow_pickle=False) as data:
            found.update(zip((str(r) for r in data["rel"]), data["vec"], strict=True))
    todo = [r for r in wanted if r not in found]
    if not todo:
        return found
    print(
        f"encoding {len(todo):,} images with {n} jitters on {processes} processes", file=sys.stderr
    )
    started, pending = time.perf_counter(), []
    with ProcessPoolExecutor(max_workers=processes, initializer=worker_init) as pool:
        for done, (rel, vec) in enumerate(
            pool.map(_encode_jittered, [(r, n) for r in todo], chunksize=4), 1
        ):
            found[rel] = vec
            pending.append((rel, vec))
            if len(pending) >= CHUNK or done == len(todo):
                part = folder / f"chunk-{len(list(folder.glob('chunk-*.npz'))):05d}.tmp.npz"
                np.savez(
                    part,
                    rel=np.array([r for r, _ in pending]),
                    vec=np.stack([v for _, v in pending]),
                )
                part.replace(part.with_name(part.name.replace(".tmp", "")))
                pending = []
                rate = done / (time.perf_counter() - started)
                print(
                    f"  {done:,}/{len(todo):,} ({rate:.1f} images/s)", file=sys.stderr, flush=True
                )
    return found


# --- embeddings per pipeline ----------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)
    return unit


def embedding(entry: dict[str, Any], pipeline: str) -> np.ndarray:
    """``plain``: HOG else central box, chip only; ``cnn``: CNN fallback, chip only;
    ``cnn+flip``: CNN fallback, chip and mirror averaged."""
    if pipeline == "plain":
        use_centre = entry["detector"] != "hog"
        raw = entry["centre_chip"] if use_centre else entry["chip"]
    elif pipeline == "cnn":
        raw = entry["chip"]
    elif pipeline == "cnn+flip":
        raw = entry["chip"] + entry["mirror"]
    elif pipeline.startswith("jitter"):  # jitter<n>: the jittered mean alone
        raw = entry["jitter"]
    elif pipeline.startswith("cnn+flip+jitter"):  # chip, mirror and n jitters, all averaged
        n = int(pipeline.removeprefix("cnn+flip+jitter"))
        raw = _unit(entry["chip"] + entry["mirror"]) * 2 + _unit(entry["jitter"]) * n
    else:
        raise ValueError(pipeline)
    return _unit(np.asarray(raw, np.float32))


# --- verification ---------------------------------------------------------------------------


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The score threshold with the best accuracy on these pairs."""
    order = np.argsort(scores)
    s, y = scores[order], same[order]
    # accuracy(t = s[i]) = (#same at or above i + #different below i) / n
    same_above = np.cumsum(y[::-1])[::-1]
    diff_below = np.concatenate([[0], np.cumsum(~y)[:-1]])
    return float(s[int(np.argmax((same_above + diff_below) / len(s)))])


def verification(
    cache: dict[str, dict[str, Any]], folds: list[list[tuple[str, str, bool]]], pipeline: str
) -> dict[str, float]:
    per_fold = []
    for fold in folds:
        per_fold.append(
            (
                np.array(
                    [
                        float(embedding(cache[a], pipeline) @ embedding(cache[b], pipeline))
                        for a, b, _ in fold
                    ]
                ),
                np.array([same for _, _, same in fold]),
            )
        )
    accuracies = []
    for k in range(len(per_fold)):
        train = [per_fold[j] for j in range(len(per_fold)) if j != k] or [per_fold[k]]
        t = best_threshold(
            np.concatenate([s for s, _ in train]), np.concatenate([y for _, y in train])
        )
        s, y = per_fold[k]
        accuracies.append(float(np.mean((s >= t) == y)))
    return {
        "accuracy": round(float(np.mean(accuracies)) * 100, 3),
        "std": round(float(np.std(accuracies)) * 100, 3),
        "folds": len(per_fold),
    }


# --- identification -------------------------------------------------------------------------


def by_identity(rels: list[str]) -> dict[str, list[str]]:
    people: dict[str, list[str]] = defaultdict(list)
    for rel in rels:
        people[rel.split("/")[0]].append(rel)
    return {k: sorted(v) for k, v in people.items()}


def calibrated_threshold(cache: dict[str, dict[str, Any]], pipeline: str) -> dict[str, Any]:
    from kotwal.frs.service import choose_threshold

    names = [
        line.split()[0]
        for line in (META / "peopleDevTrain.txt").read_text().split("\n")[1:]
        if line.strip()
    ]
    people = by_identity([r for r in cache if r.split("/")[0] in set(names)])
    labelled = {n: [embedding(cache[r], pipeline) for r in rels] for n, rels in people.items()}
    result = choose_threshold(labelled, 1e-3)
    return {
        "threshold": round(result.threshold, 4),
        "target_fmr": 1e-3,
        "fmr": result.fmr,
        "fnmr": round(result.fnmr, 5),
        "identities": result.identities,
        "genuine_pairs": result.genuine_pairs,
        "impostor_pairs": result.impostor_pairs,
    }


def split_identities(cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    people = by_identity(list(cache))
    multi = sorted(n for n, rels in people.items() if len(rels) >= 2)
    rng = random.Random(SEED)
    held_out = set(rng.sample(multi, len(multi) // 10))
    enrolled = sorted(n for n in people if n not in held_out)
    return {
        "gallery": [people[n][0] for n in enrolled],
        "gallery_names": enrolled,
        "probes": [(r, n) for n in enrolled for r in people[n][1:]],
        "strangers": [r for n in sorted(held_out) for r in people[n]],
    }


def identification(
    cache: dict[str, dict[str, Any]], split: dict[str, Any], pipeline: str, threshold: float
) -> dict[str, Any]:
    gallery = np.stack([embedding(cache[r], pipeline) for r in split["gallery"]])
    names = np.array(split["gallery_names"])
    probes = np.stack([embedding(cache[r], pipeline) for r, _ in split["probes"]])
    truth = np.array([n for _, n in split["probes"]])
    scores = probes @ gallery.T
    top5 = np.argsort(-scores, axis=1)[:, :5]
    rank1 = float(np.mean(names[top5[:, 0]] == truth))
    rank5 = float(np.mean([t in names[row] for t, row in zip(truth, top5, strict=True)]))
    best = scores[np.arange(len(truth)), top5[:, 0]]
    hit_at_threshold = float(np.mean((names[top5[:, 0]] == truth) & (best >= threshold)))
    strangers = np.stack([embedding(cache[r], pipeline) for r in split["strangers"]])
    stranger_best = (strangers @ gallery.T).max(axis=1)
    return {
        "gallery": len(gallery),
        "probes": len(probes),
        "rank1": round(rank1 * 100, 3),
        "rank5": round(rank5 * 100, 3),
        "true_match_at_threshold": round(hit_at_threshold * 100, 3),
        "stranger_probes": len(strangers),
        "no_match_rate": round(float(np.mean(stranger_best < threshold)) * 100, 3),
    }


# --- throughput -----------------------------------------------------------------------------


def throughput(sample: list[str], flip: bool) -> dict[str, Any]:
    """Faces per second through ``engine.encode_batch`` on every core: counted from the call
    (starting the workers and loading the models, about a second and a half, are part of what
    one enrolment batch costs), and in the steady state (from the first result to the last)."""
    from kotwal.frs.engine import encode_batch, workers

    blobs = [(IMAGES / r).read_bytes() for r in sample]
    started = time.perf_counter()
    faces, first_at, first_faces = 0, 0.0, 0
    for n, result in enumerate(encode_batch(blobs, flip=flip)):
        faces += len(result.faces)
        if n == 0:
            first_at, first_faces = time.perf_counter(), faces
    ended = time.perf_counter()
    return {
        "images": len(sample),
        "faces": faces,
        "processes": workers(),
        "faces_per_s": round(faces / (ended - started), 2),
        "steady_faces_per_s": round((faces - first_faces) / (ended - first_at), 2),
        "flip": flip,
    }


# --- 1:N at scale ---------------------------------------------------------------------------


def distractors(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    mean = real.mean(axis=0)
    cov = np.cov(real, rowvar=False)
    out = np.empty((n, real.shape[1]), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        out[start : start + m] = _unit(rng.multivariate_normal(mean, cov, size=m))
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
    }


def ann_libraries() -> dict[str, bool]:
    """Which indexes can be measured: the product's, and bare HNSW graphs of three libraries."""
    found = {}
    for name in ("hnswlib", "usearch", "faiss"):
        try:
            __import__(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return {
        "kotwal": found["faiss"],  # the product's index: FAISS fast scan, exact re-scoring
        "hnswlib": found["hnswlib"],
        "usearch": found["usearch"],
        "faiss_hnsw": found["faiss"],
    }


def _build(library: str, data: np.ndarray) -> tuple[Any, Any]:
    dim = data.shape[1]
    if library == "kotwal":
        # What the product searches with: a FAISS fast-scan product-quantised copy proposing a
        # shortlist that is re-scored exactly (kotwal.frs.index.GalleryIndex), used from any size.
        from kotwal.frs.index import GalleryIndex

        gallery = GalleryIndex(gallery="bench", ann_min=0)
        gallery.add([(str(n), data[n]) for n in range(len(data))])
        return gallery, lambda q: [int(hit.face_id) for hit in gallery.search(q, 10)]
    if library == "hnswlib":
        import hnswlib  # type: ignore[import-not-found, import-untyped, unused-ignore]

        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=len(data), ef_construction=200, M=16)
        index.set_num_threads(os.cpu_count() or 1)
        index.add_items(data, np.arange(len(data)))
        index.set_ef(128)
        index.set_num_threads(1)
        return index, lambda q: index.knn_query(q, k=10)[0][0]
    if library == "usearch":
        from usearch.index import Index  # type: ignore[import-not-found, import-untyped, unused-ignore]

        index = Index(
            ndim=dim,
            metric="ip",
            dtype="f32",
            connectivity=16,
            expansion_add=200,
            expansion_search=128,
        )
        index.add(np.arange(len(data)), data)
        return index, lambda q: index.search(q, 10).keys
    if library == "faiss_hnsw":
        import faiss  # type: ignore[import-not-found, import-untyped, unused-ignore]

        index = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        index.add(data)
        index.hnsw.efSearch = 128
        faiss.omp_set_num_threads(1)
        return index, lambda q: index.search(q[None, :], 10)[1][0]
    raise ValueError(library)


def scale(
    cache: dict[str, dict[str, Any]],
    split: dict[str, Any],
    sizes: list[int],
    queries: int,
    ann_max: int = 10**9,
    only: set[str] | None = None,
) -> dict[str, Any]:
    pipeline = "cnn+flip"
    rng = np.random.default_rng(SEED)
    real = np.stack([embedding(cache[r], pipeline) for r in split["gallery"]])
    names = list(split["gallery_names"])
    probe_pairs = split["probes"][:]
    random.Random(SEED).shuffle(probe_pairs)
    probe_pairs = probe_pairs[:queries]
    probes = np.stack([embedding(cache[r], pipeline) for r, _ in probe_pairs])
    truth = [n for _, n in probe_pairs]
    strangers = np.stack([embedding(cache[r], pipeline) for r in split["strangers"][:2000]])
    libraries = {k: v for k, v in ann_libraries().items() if only is None or k in only}
    out: dict[str, Any] = {"libraries": libraries, "queries": len(probes), "sizes": {}}
    pool = distractors(real, max(sizes) - len(real), rng)
    sims_real = (strangers @ real.T).ravel()
    sims_fake = (strangers @ pool[: len(real)].T).ravel()
    out["distractor_check"] = {
        "stranger_to_real_mean": round(float(sims_real.mean()), 4),
        "stranger_to_synthetic_mean": round(float(sims_fake.mean()), 4),
        "stranger_to_real_p999": round(float(np.percentile(sims_real, 99.9)), 4),
        "stranger_to_synthetic_p999": round(float(np.percentile(sims_fake, 99.9)), 4),
    }
    for size in sizes:
        data = np.ascontiguousarray(np.vstack([real, pool[: size - len(real)]]))
        label = np.array(names + [""] * (size - len(real)))
        entry: dict[str, Any] = {}
        times, exact_top = [], []
        for q in probes:
            t = time.perf_counter()
            s = data @ q
            top = int(np.argmax(s))
            times.append((time.perf_counter() - t) * 1000)
            exact_top.append(top)
        exact_rank1 = float(np.mean([label[i] == n for i, n in zip(exact_top, truth, strict=True)]))
        entry["exact"] = {**_percentiles(times), "rank1": round(exact_rank1 * 100, 3)}
        for library, present in libraries.items():
            if not present or size > ann_max:
                continue
            before = _rss_mb()
            t = time.perf_counter()
            index, query = _build(library, data)
            build_s = time.perf_counter() - t
            memory = _rss_mb() - before
            times, agree, hits = [], 0, 0
            for q, top, name in zip(probes, exact_top, truth, strict=True):
                t = time.perf_counter()
                found = query(np.ascontiguousarray(q))
                times.append((time.perf_counter() - t) * 1000)
                agree += int(int(found[0]) == top)
                hits += int(label[int(found[0])] == name)
            entry[library] = {
                **_percentiles(times),
                "exact_top1_found_first": round(agree / len(probes) * 100, 3),
                "rank1": round(hits / len(probes) * 100, 3),
                "build_s": round(build_s, 2),
                "memory_mb": round(memory, 1),
            }
            del index, query
        out["sizes"][str(size)] = entry
        print(f"  1:N at {size:,}: {json.dumps(entry)}", file=sys.stderr, flush=True)
    return out


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="one fold, a 10,000 gallery")
    parser.add_argument("--encode-only", action="store_true", help="fill the cache and stop")
    parser.add_argument(
        "--cached-only", action="store_true", help="measure on the folds already cached"
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--jitter",
        type=int,
        default=0,
        help="also verify with N jittered encodings per image (N times the encoding work)",
    )
    parser.add_argument("--throughput-sample", type=int, default=120)
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="only the throughput of the dlib build loaded (to compare the wheel and OpenBLAS)",
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="1:N gallery sizes")
    parser.add_argument(
        "--ann-max", type=int, default=10**9, help="skip index builds above this gallery size"
    )
    parser.add_argument(
        "--indexes",
        default="kotwal,hnswlib,usearch,faiss_hnsw",
        help="indexes to measure beside exact search (those installed); the graphs take"
        " 20-30 minutes each to build at 1,000,000",
    )
    parser.add_argument(
        "--search-only", action="store_true", help="only 1:N search (from the cache)"
    )
    args = parser.parse_args()

    import dlib  # type: ignore[import-not-found, import-untyped, unused-ignore]

    from kotwal.frs.engine import MODEL_NAME

    if args.throughput_only:
        sample = random.Random(SEED).sample(all_images(), args.throughput_sample)
        runs = [throughput(sample, flip=True), throughput(sample, flip=False)]
        print(json.dumps({"dlib_use_blas": bool(dlib.DLIB_USE_BLAS), "throughput": runs}))
        return
    folds = read_pairs()
    # Fold by fold, then every other image: a run cut short still has whole folds cached.
    pair_images = list(dict.fromkeys(r for fold in folds for a, b, _ in fold for r in (a, b)))
    everything = pair_images + [r for r in all_images() if r not in set(pair_images)]
    if args.fast:
        folds = folds[:1]
        everything = list(dict.fromkeys(r for a, b, _ in folds[0] for r in (a, b)))
    if args.cached_only:
        cache = load_cache()
        folds = [f for f in folds if all(a in cache and b in cache for a, b, _ in f)]
        everything = [r for r in everything if r in cache]
        if not folds:
            raise SystemExit("no whole fold is cached yet")
    else:
        cache = encode_all(everything, args.processes)
    if args.encode_only:
        return
    indexes = {i.strip() for i in args.indexes.split(",") if i.strip()}
    sizes = [10_000] if args.fast else [int(n) for n in args.sizes.split(",")]
    if args.search_only:
        split = split_identities({r: cache[r] for r in everything})
        found = scale(cache, split, sizes, args.queries, args.ann_max, indexes)
        print(json.dumps({"cores": os.cpu_count(), "search": found}))
        return
    result: dict[str, Any] = {
        "model": MODEL_NAME,
        "dlib": str(dlib.__version__),
        "dlib_use_blas": bool(dlib.DLIB_USE_BLAS),
        "cores": os.cpu_count(),
        "fast": args.fast,
        "images_encoded": len(cache),
        "detections": {
            d: sum(1 for r in everything if cache[r]["detector"] == d)
            for d in ("hog", "cnn", "centre")
        },
    }
    result["verification"] = {
        p: verification(cache, folds, p) for p in ("plain", "cnn", "cnn+flip")
    }
    if args.jitter:
        jittered = encode_jittered(pair_images, args.jitter, args.processes)
        for rel, vec in jittered.items():
            cache[rel]["jitter"] = vec
        for p in (f"jitter{args.jitter}", f"cnn+flip+jitter{args.jitter}"):
            result["verification"][p] = verification(cache, folds, p)
    calibration = calibrated_threshold(cache, "cnn+flip")
    result["calibration"] = calibration
    split = split_identities({r: cache[r] for r in everything})
    threshold = float(calibration["threshold"])
    result["identification"] = {
        p: identification(cache, split, p, threshold) for p in ("plain", "cnn+flip")
    }
    pool = sorted(everything)  # the same sample as --throughput-only draws
    sample = random.Random(SEED).sample(pool, min(args.throughput_sample, len(pool)))
    result["throughput"] = [throughput(sample, flip=True), throughput(sample, flip=False)]
    result["search"] = scale(cache, split, sizes, args.queries, args.ann_max, indexes)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
