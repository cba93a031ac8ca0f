"""The face engine: detection, alignment and 128-d encoding with dlib's pretrained models.

The models are the files shipped inside the ``face_recognition_models`` package (HOG detector
built into dlib, the MMOD CNN detector, the 5-point shape predictor and the ResNet encoder
reported at 99.38 % on LFW), so nothing is downloaded at run time. Which dlib build is loaded
(the prebuilt ``dlib-bin`` wheel, or a source build linked against OpenBLAS) is read from
``dlib.DLIB_USE_BLAS`` and shown by ``kotwal frs status`` and the benchmark.

Pipeline for one image:
1. HOG detection with one upsample (finds faces down to about 40 px);
2. only where HOG finds nothing, the CNN detector (slower, but finds profile, dark and tilted
   faces HOG misses) on a copy no larger than :data:`CNN_MAX_SIDE`;
3. 5-point landmarks, a 150x150 aligned chip (dlib's ``get_face_chip``);
4. the ResNet descriptor of the chip AND of its mirror image, averaged and L2-normalised
   (flip averaging: the encoder is not exactly mirror-symmetric, and the average is a
   steadier template; the benchmark reports what it buys).

Embeddings are unit vectors, so similarity is the cosine (the dot product), in [-1, 1].

Images are decoded only by :mod:`kotwal.core.images`; this module takes the decoded RGB image.
Enrolment batches use every core through a process pool (:func:`encode_batch`), because the
wheel's dlib encodes on one thread.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Protocol

import dlib  # type: ignore[import-untyped]
import face_recognition_models  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
from PIL import Image

from kotwal.core import images
from kotwal.core.errors import Problem

MODEL_NAME: Final = "dlib_face_recognition_resnet_model_v1+flip"
EMBEDDING_DIM: Final = 128
CHIP_SIZE: Final = 150
CHIP_PADDING: Final = 0.25
HOG_UPSAMPLE: Final = 1
#: Longest side an image is scaled down to before detection: a face in a 4000 px phone photo
#: is still well over the 40 px HOG needs at this size, and detection time grows with area.
DETECT_MAX_SIDE: Final = 1600
#: The CNN detector costs about 1 s for a 320x240 image on one core of the wheel build and
#: grows with area (9 s at 640x480, 33 s upsampled), so it runs on a copy no larger than this,
#: upsampled once only when that copy is as small as an LFW crop.
CNN_MAX_SIDE: Final = 480
CNN_UPSAMPLE_MAX_SIDE: Final = 256
#: A face box smaller than this (pixels, shorter side, in the original image) scores 0 on size;
#: at and above :data:`GOOD_FACE_PX` it scores 1. The encoder's chip is 150 px.
MIN_FACE_PX: Final = 20
GOOD_FACE_PX: Final = 100
#: Variance of the Laplacian of the grey chip at which a face counts as sharp (score 1).
SHARP_LAPLACIAN_VAR: Final = 300.0

Embedding = npt.NDArray[np.float32]
RGB = npt.NDArray[np.uint8]


class NoFace(Problem):
    status, slug, title = 422, "no-face", "No face was found in the photograph"


class SeveralFaces(Problem):
    status, slug = 422, "several-faces"
    title = "The photograph shows more than one face; send a photograph of one person"


@dataclass(frozen=True)
class Box:
    """A face's bounding box in the original image's pixels."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class Quality:
    """How usable a detected face is, each part in [0, 1], and their geometric mean.

    - ``size``: shorter side of the box, 0 at :data:`MIN_FACE_PX`, 1 at :data:`GOOD_FACE_PX`
      (linear in between): small faces are upscaled into the chip and lose detail;
    - ``confidence``: the detector's own score through a logistic (HOG's SVM margin, centred
      at 0; the CNN's confidence, centred at 0.5), so a marginal detection scores about 0.5;
    - ``sharpness``: variance of a 4-neighbour Laplacian over the grey 150x150 aligned chip,
      divided by :data:`SHARP_LAPLACIAN_VAR` and capped at 1 (motion blur and out-of-focus
      CCTV frames have little high-frequency energy).
    """

    size: float
    confidence: float
    sharpness: float

    @property
    def score(self) -> float:
        parts = (self.size, self.confidence, self.sharpness)
        return float(math.prod(max(p, 1e-6) for p in parts) ** (1 / 3))


@dataclass(frozen=True)
class Face:
    """One detected face: where, how it was found, how good, and its embedding."""

    box: Box
    detector: str  # "hog" or "cnn"
    quality: Quality
    embedding: Embedding


class FaceEngine(Protocol):
    """What the face recognition service needs from an engine."""

    model_name: str

    def faces(self, image: Image.Image) -> list[Face]: ...


@dataclass(frozen=True)
class BuildInfo:
    """Which dlib is loaded, for ``kotwal frs status`` and the benchmark."""

    dlib_version: str
    blas: bool
    cuda: bool
    model: str


def build_info() -> BuildInfo:
    """The loaded dlib's version and whether it was built with BLAS (the OpenBLAS build)."""
    return BuildInfo(
        dlib_version=str(dlib.__version__),
        blas=bool(getattr(dlib, "DLIB_USE_BLAS", False)),
        cuda=bool(getattr(dlib, "DLIB_USE_CUDA", False)),
        model=MODEL_NAME,
    )


class _Models:
    """dlib's models, loaded once per process from the package's files (about half a second)."""

    def __init__(self) -> None:
        self.hog = dlib.get_frontal_face_detector()
        self.cnn = dlib.cnn_face_detection_model_v1(
            face_recognition_models.cnn_face_detector_model_location()
        )
        self.shape = dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location()
        )
        self.encoder = dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location()
        )


_models: _Models | None = None
_models_lock = threading.Lock()


def _loaded() -> _Models:
    global _models
    with _models_lock:
        if _models is None:
            _models = _Models()
        return _models


class DlibEngine:
    """The dlib pipeline described at the top of this module."""

    model_name = MODEL_NAME

    def __init__(self, *, cnn_fallback: bool = True, flip: bool = True) -> None:
        self.cnn_fallback = cnn_fallback
        self.flip = flip

    def faces(self, image: Image.Image) -> list[Face]:
        """Every face in ``image`` (RGB), largest first."""
        pixels, scale = _scaled(image, DETECT_MAX_SIDE)
        found = self._detect(pixels)
        faces = [self._encode(pixels, rect, det, conf, scale) for rect, det, conf in found]
        return sorted(faces, key=lambda f: f.box.width * f.box.height, reverse=True)

    def one_face(self, image: Image.Image) -> Face:
        """The single face in ``image``; :class:`NoFace` or :class:`SeveralFaces` otherwise."""
        faces = self.faces(image)
        if not faces:
            raise NoFace()
        if len(faces) > 1:
            raise SeveralFaces(f"{len(faces)} faces were found", faces=len(faces))
        return faces[0]

    def _detect(self, pixels: RGB) -> list[tuple[Any, str, float]]:
        models = _loaded()
        rects, scores, _kinds = models.hog.run(pixels, HOG_UPSAMPLE, 0.0)
        found = [(r, "hog", _logistic(float(s))) for r, s in zip(rects, scores, strict=True)]
        if found or not self.cnn_fallback:
            return found
        small, factor = _shrink(pixels, CNN_MAX_SIDE)
        out = []
        upsample = 1 if max(small.shape[:2]) <= CNN_UPSAMPLE_MAX_SIDE else 0
        for d in models.cnn(small, upsample):
            r = d.rect
            rect = dlib.rectangle(
                int(r.left() / factor),
                int(r.top() / factor),
                int(r.right() / factor),
                int(r.bottom() / factor),
            )
            out.append((rect, "cnn", _logistic(4.0 * (float(d.confidence) - 0.5))))
        return out

    def _encode(self, pixels: RGB, rect: Any, detector: str, conf: float, scale: float) -> Face:
        models = _loaded()
        shape = models.shape(pixels, rect)
        chip = np.asarray(dlib.get_face_chip(pixels, shape, size=CHIP_SIZE, padding=CHIP_PADDING))
        embedding = self.encode_chip(chip)
        box = Box(
            left=max(0, int(rect.left() / scale)),
            top=max(0, int(rect.top() / scale)),
            right=int(rect.right() / scale),
            bottom=int(rect.bottom() / scale),
        )
        quality = Quality(
            size=_size_score(min(box.width, box.height)),
            confidence=conf,
            sharpness=_sharpness(chip),
        )
        return Face(box=box, detector=detector, quality=quality, embedding=embedding)

    def encode_chip(self, chip: RGB) -> Embedding:
        """The unit embedding of an aligned 150x150 chip (averaged with its mirror)."""
        encoder = _loaded().encoder
        if self.flip:
            mirrored = np.ascontiguousarray(chip[:, ::-1, :])
            vectors = encoder.compute_face_descriptor([chip, mirrored])
            raw = np.asarray(vectors[0], dtype=np.float32) + np.asarray(
                vectors[1], dtype=np.float32
            )
        else:
            raw = np.asarray(encoder.compute_face_descriptor(chip), dtype=np.float32)
        return normalise(raw)


def normalise(vector: npt.NDArray[Any]) -> Embedding:
    """``vector`` scaled to unit length (as float32)."""
    v = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _scaled(image: Image.Image, max_side: int) -> tuple[RGB, float]:
    """The image as an RGB array no larger than ``max_side``, and the scale applied."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    longest = max(image.size)
    scale = 1.0
    if longest > max_side:
        scale = max_side / longest
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
            Image.Resampling.BILINEAR,
        )
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8)), scale


def _shrink(pixels: RGB, max_side: int) -> tuple[RGB, float]:
    h, w = pixels.shape[:2]
    if max(h, w) <= max_side:
        return pixels, 1.0
    factor = max_side / max(h, w)
    small = Image.fromarray(pixels).resize((round(w * factor), round(h * factor)))
    return np.ascontiguousarray(np.asarray(small, dtype=np.uint8)), factor


def _centre_distance(rect: Any, w: int, h: int) -> float:
    cx = (rect.left() + rect.right()) / 2
    cy = (rect.top() + rect.bottom()) / 2
    return float((cx - w / 2) ** 2 + (cy - h / 2) ** 2)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _size_score(px: int) -> float:
    return min(1.0, max(0.0, (px - MIN_FACE_PX) / (GOOD_FACE_PX - MIN_FACE_PX)))


def _sharpness(chip: RGB) -> float:
    grey = chip.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    lap = (
        -4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
    )
    return min(1.0, float(lap.var()) / SHARP_LAPLACIAN_VAR)


# --- enrolment batches over every core -------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """One image of a batch: its faces, or the problem that refused it."""

    index: int
    sha256: str | None
    faces: list[Face]
    error: str | None


_worker_engine: DlibEngine | None = None


def _init_worker(cnn_fallback: bool, flip: bool) -> None:
    global _worker_engine
    _worker_engine = DlibEngine(cnn_fallback=cnn_fallback, flip=flip)
    _loaded()


def _encode_one(job: tuple[int, bytes, int, int]) -> BatchResult:
    index, data, max_bytes, max_pixels = job
    engine = _worker_engine or DlibEngine()
    try:
        decoded = images.decode(data, max_bytes=max_bytes, max_pixels=max_pixels)
        return BatchResult(index, decoded.sha256, engine.faces(decoded.image), None)
    except Problem as problem:
        return BatchResult(index, None, [], problem.detail or problem.title)


def workers() -> int:
    """Processes for a batch: every core the process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def encode_batch(
    photos: Sequence[bytes],
    *,
    processes: int | None = None,
    max_bytes: int = images.MAX_BYTES,
    max_pixels: int = images.MAX_PIXELS,
    cnn_fallback: bool = True,
    flip: bool = True,
) -> Iterator[BatchResult]:
    """Decode and encode ``photos`` over a process pool, yielding results in input order."""
    processes = processes or workers()
    jobs = [(i, data, max_bytes, max_pixels) for i, data in enumerate(photos)]
    if processes <= 1 or len(jobs) <= 1:
        _init_worker(cnn_fallback, flip)
        yield from map(_encode_one, jobs)
        return
    # One BLAS thread per worker: with a process on every core, OpenBLAS's own threads (one
    # per core in each worker) only fight each other; measured on 2 cores with the OpenBLAS
    # build, 8.5 faces/s with its threads against 14.9 without. Spawned workers read it from
    # the environment when they load dlib; an operator's own setting is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # "spawn", not the default fork: forking a process that runs threads (the audit writer,
    # a server's workers) can copy a held lock into the child, which then waits forever.
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(cnn_fallback, flip),
    ) as pool:
        yield from pool.map(_encode_one, jobs, chunksize=4)
