"""Open-set 1:N decisions: the threshold that holds a target false-positive identification rate
(FPIR) at a gallery's size.

A search of a stranger (someone not enrolled) against N faces returns a false candidate when any
of the N comparisons reaches the threshold. With ``p(t)`` the share of impostor comparisons
scoring ``t`` or more, the union bound gives ``FPIR(t, N) <= N x p(t)`` whatever the
dependence between the N scores; at FPIR near 1 % the bound is within about 1 % (relative) of
``1 - (1 - p)^N``. So the threshold for a target FPIR at N faces is the impostor score exceeded
by a share ``target / N`` of comparisons: at 5,581 faces and FPIR 1 % that is one comparison in
558,100, at 1,000,000 one in 10^8, far deeper than any labelled set measures. The deep tail is
therefore an extreme-value model: the impostor scores above a high level ``u`` (exceeded by a
share ``p_u``, at least 100 scores) are fitted with a generalised Pareto distribution
(probability-weighted moments, Hosking and Wallis 1987), and above ``p_u`` the measured
quantiles are used as they are. ``bench/frs.py`` checks the fit against measured rates and the
resulting FPIR against real strangers on LFW.

The threshold changes in steps, not with every enrolment: gallery sizes are rounded up to a
ladder of ten bounds per decade (100, 126, 159, ... 1,000,000), and the threshold for a
gallery is the one for the bound at or above its size (so the FPIR held is at most the target).
It is never below the 1:1 threshold: a search does not name anyone a verification would not.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: Fewest impostor comparisons (and exceedances above ``u``) a tail is fitted from.
MIN_IMPOSTOR_PAIRS = 10_000
MIN_EXCEEDANCES = 100
#: Share of impostor comparisons above the tail's level ``u``, when there are enough of them.
TAIL_SHARE = 1e-3
#: Gallery-size bounds: ten per decade from 100 to 10^9 (the threshold holds up to its bound).
SIZE_BOUNDS: tuple[int, ...] = tuple(math.ceil(10 ** (k / 10) - 1e-9) for k in range(20, 91))
#: Genuine-score quantiles kept for FNIR estimates.
GENUINE_QUANTILES = 201

Scores = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class ImpostorTail:
    """The upper tail of the impostor score distribution (per comparison)."""

    #: Tail level and the share of impostor comparisons at or above it.
    u: float
    p_u: float
    #: Generalised Pareto shape and scale of the exceedances over ``u``.
    xi: float
    sigma: float
    #: Measured (rate, score) points for rates above ``p_u``, rate falling.
    points: tuple[tuple[float, float], ...]
    pairs: int

    def rate(self, score: float) -> float:
        """Share of impostor comparisons scoring at least ``score``."""
        if score <= self.u:
            for rate, at in reversed(self.points):
                if score >= at:
                    return rate
            return 1.0
        z = (score - self.u) / self.sigma
        if abs(self.xi) < 1e-9:
            return self.p_u * math.exp(-z)
        base = 1.0 + self.xi * z
        if base <= 0.0:  # beyond the fitted upper end point (xi < 0)
            return 0.0
        return float(self.p_u * base ** (-1.0 / self.xi))

    def score_at(self, rate: float) -> float:
        """The score exceeded by a share ``rate`` of impostor comparisons."""
        if rate >= self.p_u:
            pts = [(r, s) for r, s in self.points if r >= self.p_u]
            for (r1, s1), (r2, s2) in itertools.pairwise(pts):
                if r2 <= rate <= r1:
                    w = (math.log(r1) - math.log(rate)) / (math.log(r1) - math.log(r2))
                    return s1 + w * (s2 - s1)
            return pts[0][1] if pts and rate > pts[0][0] else self.u
        ratio = rate / self.p_u
        if abs(self.xi) < 1e-9:
            return self.u - self.sigma * math.log(ratio)
        return float(self.u + self.sigma / self.xi * (ratio ** (-self.xi) - 1.0))

    def to_json(self) -> dict[str, Any]:
        return {
            "u": self.u,
            "p_u": self.p_u,
            "xi": self.xi,
            "sigma": self.sigma,
            "points": [list(p) for p in self.points],
            "pairs": self.pairs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImpostorTail:
        """The tail as :meth:`to_json` wrote it."""
        return cls(
            u=float(data["u"]),
            p_u=float(data["p_u"]),
            xi=float(data["xi"]),
            sigma=float(data["sigma"]),
            points=tuple((float(r), float(s)) for r, s in data["points"]),
            pairs=int(data["pairs"]),
        )


def fit_tail(impostor: Scores) -> ImpostorTail:
    """Fit the upper tail of impostor scores: measured quantiles down to the level ``u`` exceeded
    by :data:`TAIL_SHARE` of them (or by :data:`MIN_EXCEEDANCES`, whichever is more), and a
    generalised Pareto distribution above it. ValueError when there are too few scores."""
    scores = np.sort(np.asarray(impostor, dtype=np.float64))
    n = scores.size
    if n < MIN_IMPOSTOR_PAIRS:
        raise ValueError(
            f"an impostor tail needs at least {MIN_IMPOSTOR_PAIRS:,} impostor comparisons"
            f" (pairs of different people); there are {n:,}"
        )
    k = max(MIN_EXCEEDANCES, int(n * TAIL_SHARE))
    u = float(scores[n - k - 1])
    exceed = scores[n - k :] - u
    exceed = exceed[exceed > 0]
    xi, sigma = _gpd_pwm(exceed)
    p_u = exceed.size / n
    rates = [r for r in (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002) if r > p_u]
    points = [(r, float(scores[min(n - 1, math.floor(n * (1 - r)))])) for r in rates]
    points.append((p_u, u))
    return ImpostorTail(u=u, p_u=p_u, xi=xi, sigma=sigma, points=tuple(points), pairs=int(n))


def _gpd_pwm(y: Scores) -> tuple[float, float]:
    """Generalised Pareto shape and scale of exceedances ``y`` > 0 by probability-weighted
    moments (Hosking and Wallis 1987), in the convention ``P(Y > y) = (1 + xi y / sigma)^(-1/xi)``.
    """
    ys = np.sort(y)
    n = ys.size
    a0 = float(ys.mean())
    p = (np.arange(1, n + 1) - 0.35) / n
    a1 = float(np.mean(ys * (1.0 - p)))
    denom = a0 - 2.0 * a1
    k = a0 / denom - 2.0
    sigma = 2.0 * a0 * a1 / denom
    return -k, sigma


@dataclass(frozen=True)
class GenuineScores:
    """Quantiles of mated (same person) scores, for FNIR estimates at a threshold."""

    quantiles: tuple[float, ...]
    pairs: int

    def below(self, threshold: float) -> float:
        """Share of mated comparisons scoring below ``threshold`` (the FNIR of a search whose
        mate would otherwise be returned; being outranked by another face is not counted)."""
        if not self.quantiles:
            return 0.0
        q = np.asarray(self.quantiles)
        probs = np.linspace(0.0, 1.0, q.size)
        return float(np.interp(threshold, q, probs, left=0.0, right=1.0))

    @classmethod
    def of(cls, genuine: Scores) -> GenuineScores:
        """Keep :data:`GENUINE_QUANTILES` evenly spaced quantiles of ``genuine``."""
        g = np.asarray(genuine, dtype=np.float64)
        if g.size == 0:
            return cls((), 0)
        qs = np.quantile(g, np.linspace(0.0, 1.0, min(GENUINE_QUANTILES, g.size)))
        return cls(tuple(round(float(v), 6) for v in qs), int(g.size))


def size_bound(size: int) -> int:
    """The ladder bound at or above ``size``: the gallery size the threshold is chosen for."""
    for bound in SIZE_BOUNDS:
        if bound >= size:
            return bound
    return size


@dataclass(frozen=True)
class OpenSetThreshold:
    """The threshold in force for one search, and what it was chosen from."""

    value: float
    target_fpir: float
    gallery_size: int
    size_bound: int
    #: The FPIR the tail predicts at the actual size (at most the target).
    predicted_fpir: float
    #: True when the 1:1 threshold was higher and was used instead.
    floored: bool


def threshold_for(
    tail: ImpostorTail, size: int, target_fpir: float, floor: float
) -> OpenSetThreshold:
    """The threshold holding FPIR <= ``target_fpir`` for a gallery of ``size`` faces (chosen
    for its ladder bound), never below ``floor`` (the 1:1 threshold)."""
    bound = size_bound(max(size, 1))
    chosen = tail.score_at(target_fpir / bound)
    value = max(chosen, floor)
    predicted = min(1.0, max(size, 0) * tail.rate(value))
    return OpenSetThreshold(
        value=value,
        target_fpir=target_fpir,
        gallery_size=size,
        size_bound=bound,
        predicted_fpir=predicted,
        floored=floor > chosen,
    )


def dumps(tail: ImpostorTail, genuine: GenuineScores) -> str:
    """The calibration's stored form (``frs_calibrations.tail``)."""
    return json.dumps(
        {
            "impostor": tail.to_json(),
            "genuine": list(genuine.quantiles),
            "genuine_pairs": genuine.pairs,
        }
    )


def loads(text: str) -> tuple[ImpostorTail, GenuineScores]:
    """What :func:`dumps` stored."""
    data = json.loads(text)
    genuine = GenuineScores(tuple(float(v) for v in data["genuine"]), int(data["genuine_pairs"]))
    return ImpostorTail.from_json(data["impostor"]), genuine


def impostor_and_genuine(
    labels: Sequence[int], vectors: npt.NDArray[np.float32]
) -> tuple[Scores, Scores]:
    """Every pair's cosine similarity split by whether the two faces share a label."""
    ids = np.asarray(labels)
    impostor: list[Scores] = []
    genuine: list[Scores] = []
    for start in range(0, len(ids), 2048):
        block = vectors[start : start + 2048] @ vectors.T
        for i in range(block.shape[0]):
            row = start + i
            tail = block[i, row + 1 :]
            same = ids[row + 1 :] == ids[row]
            genuine.append(tail[same])
            impostor.append(tail[~same])
    return np.concatenate(impostor), np.concatenate(genuine)
