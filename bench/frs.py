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


def held_out_identities(rels: list[str]) -> set[str]:
    """10 % of the identities with two or more images (seeded): the strangers."""
    people = by_identity(rels)
    multi = sorted(n for n, found in people.items() if len(found) >= 2)
    return set(random.Random(SEED).sample(multi, len(multi) // 10))


def split_identities(cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Gallery (each enrolled identity's first image), mated probes (their other images) and
    strangers (every image of the held-out identities). Which identities are held out is
    decided on the whole of LFW when it is there, so a partly encoded cache (``--cached-only``)
    gives the same split with fewer mated probes."""
    people = by_identity(list(cache))
    everything = all_images() if IMAGES.is_dir() else list(cache)
    held_out = held_out_identities(everything) & set(people)
    enrolled = sorted(n for n in people if n not in held_out)
    first = by_identity(everything)
    enrolled = [n for n in enrolled if first.get(n, people[n])[0] in cache]
    return {
        "gallery": [people[n][0] for n in enrolled],
        "gallery_names": enrolled,
        "probes": [(r, n) for n in enrolled for r in people[n][1:]],
        "strangers": [r for n in sorted(held_out) for r in people[n]],
    }


def priority_order() -> list[str]:
    """Every LFW image in the order the open-set figures need them: each identity's first
    image (the gallery) and every stranger's images, then up to ten more of each enrolled
    identity (taken round by round), then the rest."""
    everything = all_images()
    people = by_identity(everything)
    held = held_out_identities(everything)
    first = [people[n][0] for n in sorted(people)]
    first += [r for n in sorted(held) for r in people[n][1:]]
    rounds = [
        people[n][j]
        for j in range(1, 11)
        for n in sorted(people)
        if n not in held and j < len(people[n])
    ]
    seen = set(first) | set(rounds)
    return first + rounds + [r for r in everything if r not in seen]


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


# --- open-set 1:N: FPIR and FNIR ---------------------------------------------------------------

#: FPIR targets at which FNIR is reported (NIST FRTE 1:N's usual operating points).
FPIR_TARGETS = (0.01, 0.003)
#: Candidates an officer is shown by default (``k`` of /frs/identify): "rank <= R" for FNIR.
LIST_LENGTH = 5


def tail_identities(split: dict[str, Any]) -> set[str]:
    """Identities the impostor tail is fitted on: LFW's peopleDevTrain without the held-out
    strangers, so no stranger probe's scores were seen by the fit."""
    names = {
        line.split()[0]
        for line in (META / "peopleDevTrain.txt").read_text().split("\n")[1:]
        if line.strip()
    }
    strangers = {r.split("/")[0] for r in split["strangers"]}
    return names - strangers


def fit_lfw_tail(cache: dict[str, dict[str, Any]], split: dict[str, Any]) -> dict[str, Any]:
    """The impostor tail kotwal ships as its default (service.DEFAULT_TAIL), fitted as
    ``kotwal frs calibrate`` fits one, and checked: the fit (top 0.1 % of impostor pairs) against
    the measured rates deeper in the same pairs, and against stranger-to-gallery pairs it never
    saw."""
    from kotwal.frs import openset

    names = tail_identities(split)
    people = by_identity([r for r in cache if r.split("/")[0] in names])
    rels = [r for n in sorted(people) for r in people[n]]
    labels = [i for i, n in enumerate(sorted(people)) for _ in people[n]]
    vectors = np.stack([embedding(cache[r], "cnn+flip") for r in rels]).astype(np.float32)
    impostor, genuine = openset.impostor_and_genuine(labels, vectors)
    tail = openset.fit_tail(impostor)
    impostor.sort()
    gallery = np.stack([embedding(cache[r], "cnn+flip") for r in split["gallery"]])
    strangers = np.stack([embedding(cache[r], "cnn+flip") for r in split["strangers"]])
    unseen = (strangers @ gallery.T).ravel()
    checks = []
    for rate in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
        score = tail.score_at(rate)
        in_sample = int(impostor.size - np.searchsorted(impostor, score, side="left"))
        held_out = int(np.sum(unseen >= score))
        checks.append(
            {
                "rate": rate,
                "score": round(score, 4),
                "measured_in_fit_pairs": in_sample / impostor.size,
                "count_in_fit_pairs": in_sample,
                "measured_stranger_pairs": held_out / unseen.size,
                "count_stranger_pairs": held_out,
            }
        )
    return {
        "tail": tail,
        "genuine": openset.GenuineScores.of(genuine),
        "report": {
            "identities": len(people),
            "images": len(rels),
            "impostor_pairs": int(impostor.size),
            "genuine_pairs": int(genuine.size),
            "u": round(tail.u, 5),
            "p_u": tail.p_u,
            "xi": round(tail.xi, 5),
            "sigma": round(tail.sigma, 6),
            "points": [[r, round(v, 5)] for r, v in tail.points],
            "genuine_quantiles": [
                round(float(v), 4) for v in np.quantile(genuine, np.linspace(0, 1, 21))
            ],
            "stranger_pairs": int(unseen.size),
            "checks": checks,
        },
    }


def _wilson_upper(k: int, n: int, z: float = 1.96) -> float:
    """Upper end of the 95 % Wilson interval of a rate measured as k in n."""
    if n == 0:
        return 1.0
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float((centre + margin) / (1 + z * z / n))


def _threshold_for_fpir(stranger_max: np.ndarray, fpir: float) -> float:
    """The lowest threshold at which at most ``fpir`` of the non-mated searches return a
    candidate (NIST's way: the threshold is read off the non-mated searches themselves)."""
    ranked = np.sort(stranger_max)[::-1]
    allowed = int(np.floor(fpir * ranked.size))
    return float(np.nextafter(np.float32(ranked[allowed]), np.float32(2.0)))


def _operating_point(
    stranger_max: np.ndarray, mate: np.ndarray, outrank: np.ndarray, threshold: float
) -> dict[str, Any]:
    false = int(np.sum(stranger_max >= threshold))
    above = mate >= threshold
    return {
        "threshold": round(threshold, 5),
        "fpir": round(false / stranger_max.size, 5),
        "fpir_95_upper": round(_wilson_upper(false, stranger_max.size), 5),
        "false_candidates": false,
        "fnir_rank1": round(float(np.mean(~(above & (outrank == 0)))), 5),
        f"fnir_rank{LIST_LENGTH}": round(float(np.mean(~(above & (outrank < LIST_LENGTH)))), 5),
        "fnir_any_rank": round(float(np.mean(~above)), 5),
    }


def open_set(
    cache: dict[str, dict[str, Any]],
    split: dict[str, Any],
    sizes: list[int],
    pool: np.ndarray,
    tail: Any,
    target_fpir: float = 0.01,
) -> dict[str, Any]:
    """FPIR and FNIR as NIST FRTE 1:N defines them, at growing gallery sizes.

    The gallery is LFW's 5,581 enrolled identities (one image each) and then the synthetic
    distractors, so each size is a prefix of the next. Mated searches: the other images of
    enrolled identities; non-mated: every image of the held-out identities (real strangers).
    FPIR: share of non-mated searches returning any candidate at or above the threshold. FNIR:
    share of mated searches whose mate is not returned at or above it at rank <= R. Reported at
    the threshold kotwal chooses in advance from ``tail`` (the fit that is service.DEFAULT_TAIL)
    at the size's ladder bound, floored at the 1:1 threshold, and, as NIST reports, at the
    thresholds read off the non-mated searches for FPIR 0.01 and 0.003; with the DET curve's
    points."""
    from kotwal.frs import openset
    from kotwal.frs.service import DEFAULT_THRESHOLD

    pipeline = "cnn+flip"
    real = np.stack([embedding(cache[r], pipeline) for r in split["gallery"]]).astype(np.float32)
    where = {n: i for i, n in enumerate(split["gallery_names"])}
    mated = np.stack([embedding(cache[r], pipeline) for r, _ in split["probes"]]).astype(np.float32)
    mate_index = np.array([where[n] for _, n in split["probes"]])
    strangers = np.stack([embedding(cache[r], pipeline) for r in split["strangers"]]).astype(
        np.float32
    )
    scores = mated @ real.T
    mate = scores[np.arange(len(mated)), mate_index]
    outrank = np.sum(scores > mate[:, None], axis=1)
    stranger_max = (strangers @ real.T).max(axis=1)
    del scores
    out: dict[str, Any] = {
        "mated_searches": len(mated),
        "non_mated_searches": len(strangers),
        "target_fpir": target_fpir,
        "sizes": {},
        "det": {},
    }
    # How the synthetic distractors' tail compares with real faces': stranger-to-distractor
    # pairs at or above the scores the real impostor tail reaches at these rates.
    levels = {rate: tail.score_at(rate) for rate in (1e-4, 1e-5, 1e-6, 1e-7)}
    exceed = dict.fromkeys(levels, 0)
    done = len(real)
    chunk = 16_384
    grid = np.linspace(0.86, 1.0, 281)
    for size in sorted(set([len(real), *sizes])):
        started = time.perf_counter()
        while done < size:
            block = pool[done - len(real) : min(size, done + chunk) - len(real)]
            outrank += np.sum((mated @ block.T) > mate[:, None], axis=1)
            against = strangers @ block.T
            stranger_max = np.maximum(stranger_max, against.max(axis=1))
            for rate, score in levels.items():
                exceed[rate] += int(np.sum(against >= score))
            done += len(block)
        chosen = openset.threshold_for(tail, size, target_fpir, DEFAULT_THRESHOLD)
        entry: dict[str, Any] = {
            "real_faces": len(real),
            "synthetic_distractors": size - len(real),
            "rank1": round(float(np.mean(outrank == 0)) * 100, 3),
            "rank5": round(float(np.mean(outrank < 5)) * 100, 3),
            "kotwal_threshold": {
                **_operating_point(stranger_max, mate, outrank, chosen.value),
                "size_bound": chosen.size_bound,
                "predicted_fpir": round(chosen.predicted_fpir, 5),
                "floored": chosen.floored,
            },
        }
        for fpir in FPIR_TARGETS:
            t = _threshold_for_fpir(stranger_max, fpir)
            entry[f"at_fpir_{fpir:g}"] = _operating_point(stranger_max, mate, outrank, t)
        entry["seconds"] = round(time.perf_counter() - started, 1)
        out["sizes"][str(size)] = entry
        out["det"][str(size)] = [
            [
                float(np.mean(stranger_max >= t)),
                float(np.mean(~((mate >= t) & (outrank < LIST_LENGTH)))),
            ]
            for t in grid
        ]
        print(f"  open set at {size:,}: {json.dumps(entry)}", file=sys.stderr, flush=True)
    pairs = len(strangers) * (done - len(real))
    out["distractor_tail"] = [
        {
            "real_tail_rate": rate,
            "score": round(score, 4),
            "synthetic_pairs": pairs,
            "synthetic_count": exceed[rate],
            "synthetic_rate": exceed[rate] / pairs if pairs else None,
        }
        for rate, score in levels.items()
    ]
    return out


def fusion(cache: dict[str, dict[str, Any]], split: dict[str, Any], tail: Any) -> dict[str, Any]:
    """Several enrolled images per identity: the best score over a person's faces against the
    mean of their templates, and one image alone, on the same probes and real strangers.

    Identities with three or more images are enrolled with two (the others with one); their
    remaining images are the mated searches. Compared at the same FPIR: the threshold read off
    the strangers for FPIR 0.01, and kotwal's own threshold (chosen for the number of faces
    searched, which is larger when a person's several faces each count)."""
    from kotwal.frs import openset
    from kotwal.frs.service import DEFAULT_THRESHOLD

    pipeline = "cnn+flip"
    stranger_names = {r.split("/")[0] for r in split["strangers"]}
    people = {n: rels for n, rels in by_identity(list(cache)).items() if n not in stranger_names}
    names = sorted(people)
    emb = {r: embedding(cache[r], pipeline) for n in names for r in people[n]}
    probes = [(r, i) for i, n in enumerate(names) if len(people[n]) >= 3 for r in people[n][2:]]
    q = np.stack([emb[r] for r, _ in probes]).astype(np.float32)
    truth = np.array([i for _, i in probes])
    strangers = np.stack([embedding(cache[r], pipeline) for r in split["strangers"]]).astype(
        np.float32
    )
    first = np.stack([emb[people[n][0]] for n in names]).astype(np.float32)
    second_owner = [i for i, n in enumerate(names) if len(people[n]) >= 3]
    second = np.stack([emb[people[names[i]][1]] for i in second_owner]).astype(np.float32)
    mean = first.copy()
    for j, i in enumerate(second_owner):
        mean[i] = _unit(first[i] + second[j])

    def per_person(probe: np.ndarray, method: str) -> np.ndarray:
        if method == "mean_template":
            return probe @ mean.T
        s = probe @ first.T
        if method == "best_score":
            s[:, second_owner] = np.maximum(s[:, second_owner], probe @ second.T)
        return s

    out: dict[str, Any] = {
        "mated_searches": len(probes),
        "non_mated_searches": len(strangers),
        "persons": len(names),
        "persons_with_two_images": len(second_owner),
    }
    for method, faces in (
        ("one_image", len(names)),
        ("best_score", len(names) + len(second_owner)),
        ("mean_template", len(names)),
    ):
        s = per_person(q, method)
        mate = s[np.arange(len(q)), truth]
        outrank = np.sum(s > mate[:, None], axis=1)
        stranger_max = per_person(strangers, method).max(axis=1)
        chosen = openset.threshold_for(tail, faces, 0.01, DEFAULT_THRESHOLD)
        out[method] = {
            "faces_searched": faces,
            "rank1": round(float(np.mean(outrank == 0)) * 100, 3),
            "at_fpir_0.01": _operating_point(
                stranger_max, mate, outrank, _threshold_for_fpir(stranger_max, 0.01)
            ),
            "kotwal_threshold": _operating_point(stranger_max, mate, outrank, chosen.value),
        }
    return out


def cohort_normalisation(cache: dict[str, dict[str, Any]], split: dict[str, Any]) -> dict[str, Any]:
    """Score normalisation against a cohort (T-norm): each search's scores minus their mean over
    the cohort, divided by their standard deviation, the cohort being the 5,581 enrolled faces
    themselves (the impostors a search meets). Ranks within a search do not change; what can
    change is how one threshold serves every search. Compared with raw scores at the thresholds
    read off the real strangers for FPIR 0.01 and 0.003."""
    pipeline = "cnn+flip"
    real = np.stack([embedding(cache[r], pipeline) for r in split["gallery"]]).astype(np.float32)
    where = {n: i for i, n in enumerate(split["gallery_names"])}
    mated = np.stack([embedding(cache[r], pipeline) for r, _ in split["probes"]]).astype(np.float32)
    mate_index = np.array([where[n] for _, n in split["probes"]])
    strangers = np.stack([embedding(cache[r], pipeline) for r in split["strangers"]]).astype(
        np.float32
    )
    out: dict[str, Any] = {}
    for name, norm in (("raw", False), ("t_norm", True)):
        s_m, s_s = mated @ real.T, strangers @ real.T
        if norm:
            s_m = (s_m - s_m.mean(axis=1, keepdims=True)) / s_m.std(axis=1, keepdims=True)
            s_s = (s_s - s_s.mean(axis=1, keepdims=True)) / s_s.std(axis=1, keepdims=True)
        mate = s_m[np.arange(len(mated)), mate_index]
        outrank = np.sum(s_m > mate[:, None], axis=1)
        stranger_max = s_s.max(axis=1)
        out[name] = {
            f"at_fpir_{fpir:g}": _operating_point(
                stranger_max, mate, outrank, _threshold_for_fpir(stranger_max, fpir)
            )
            for fpir in FPIR_TARGETS
        }
    return out


def det_png(det: dict[str, list[list[float]]], path: Path, title: str) -> None:
    """The DET curves (FNIR against FPIR, FPIR on a log scale) drawn with Pillow (matplotlib
    is not a dependency of kotwal)."""
    from PIL import Image, ImageDraw

    width, height, left, right, top, bottom = 900, 620, 80, 220, 50, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    x0, x1 = np.log10(1e-3), 0.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(fpir: float, fnir: float) -> tuple[float, float]:
        fx = (np.log10(max(fpir, 1e-3)) - x0) / (x1 - x0)
        return left + fx * plot_w, top + (1.0 - fnir) * plot_h

    for decade in (1e-3, 1e-2, 1e-1, 1.0):
        x, _ = xy(decade, 0)
        draw.line([(x, top), (x, top + plot_h)], fill=(225, 225, 225))
        draw.text((x - 14, top + plot_h + 8), f"{decade:g}", fill="black")
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        _, y = xy(1e-3, tick)
        draw.line([(left, y), (left + plot_w, y)], fill=(225, 225, 225))
        draw.text((left - 34, y - 6), f"{tick:.1f}", fill="black")
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline="black")
    draw.text((left, 15), title, fill="black")
    draw.text((left + plot_w // 2 - 90, height - 30), "FPIR (log scale)", fill="black")
    draw.text((10, top - 25), f"FNIR (rank <= {LIST_LENGTH})", fill="black")
    colours = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
    colours += [(140, 86, 75), (227, 119, 194), (127, 127, 127)]
    for n, (size, points) in enumerate(det.items()):
        colour = colours[n % len(colours)]
        line = [xy(f, m) for f, m in points if f > 0]
        if len(line) > 1:
            draw.line(line, fill=colour, width=2)
        ly = top + 10 + 20 * n
        draw.line(
            [(width - right + 15, ly + 6), (width - right + 45, ly + 6)], fill=colour, width=3
        )
        draw.text((width - right + 52, ly), f"{int(size):,} faces", fill="black")
    for fpir in FPIR_TARGETS:
        x, _ = xy(fpir, 0)
        draw.line([(x, top), (x, top + plot_h)], fill=(160, 160, 160), width=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


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
    parser.add_argument(
        "--open-set-only",
        action="store_true",
        help="only the open-set figures (tail fit, FPIR/FNIR, fusion, DET) from the cache",
    )
    parser.add_argument(
        "--open-set-sizes",
        default="10000,30000,100000,300000,1000000",
        help="gallery sizes for FPIR/FNIR beyond LFW's 5,581 (synthetic distractors)",
    )
    parser.add_argument("--det-png", type=Path, default=CACHE / "frs-det.png")
    parser.add_argument(
        "--encode-open-set-first",
        action="store_true",
        help="fill the cache in the order the open-set figures need (gallery and strangers"
        " first) and stop",
    )
    args = parser.parse_args()

    import dlib  # type: ignore[import-not-found, import-untyped, unused-ignore]

    from kotwal.frs.engine import MODEL_NAME

    if args.encode_open_set_first:
        encode_all(priority_order(), args.processes)
        return
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
    if args.open_set_only:
        split = split_identities({r: cache[r] for r in everything})
        found = open_set_figures(cache, split, args)
        print(json.dumps({"cores": os.cpu_count(), "open_set": found}))
        return
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
    result["open_set"] = open_set_figures(cache, split, args)
    result["search"] = scale(cache, split, sizes, args.queries, args.ann_max, indexes)
    print(json.dumps(result))


def open_set_figures(
    cache: dict[str, dict[str, Any]], split: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """The impostor tail fit and its checks, FPIR/FNIR from LFW's 5,581 up to the largest
    size asked, the fusion comparison, and the DET curves as a PNG."""
    started = time.perf_counter()
    fitted = fit_lfw_tail(cache, split)
    print(f"  tail: {json.dumps(fitted['report'])}", file=sys.stderr, flush=True)
    sizes = [int(n) for n in args.open_set_sizes.split(",") if n.strip()]
    real = np.stack([embedding(cache[r], "cnn+flip") for r in split["gallery"]])
    pool = distractors(real, max([len(real), *sizes]) - len(real), np.random.default_rng(SEED))
    measured = open_set(cache, split, sizes, pool, fitted["tail"])
    det = measured.pop("det")
    det_png(det, args.det_png, "kotwal face search on LFW (+ synthetic distractors): DET")
    fused = fusion(cache, split, fitted["tail"])
    normalised = cohort_normalisation(cache, split)
    print(f"  cohort: {json.dumps(normalised)}", file=sys.stderr, flush=True)
    print(f"  fusion: {json.dumps(fused)}", file=sys.stderr, flush=True)
    return {
        "tail": fitted["report"],
        **measured,
        "fusion": fused,
        "cohort_normalisation": normalised,
        "det_png": str(args.det_png),
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    main()
