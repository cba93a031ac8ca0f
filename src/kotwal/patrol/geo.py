"""Geometry for patrolling, with shapely: checking the polygons of an import (closed rings, no
self-intersection, a beat inside its station's area) and finding, for a point, the beat it lies
in and the check-in points near it (an STRtree over the shapes, built in the process).

Coordinates are WGS 84 longitude, latitude (GeoJSON's order). Distances that matter to an
officer are metres; shapes are compared in degrees with tolerances converted at the area's
latitude, which is exact enough at a beat's scale (a few kilometres).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

#: Metres in one degree of latitude (and of longitude at the equator).
METRES_PER_DEGREE = 111_320.0
#: A beat may stick out of its station's area by this much (boundaries drawn from different
#: sources, or rounded, disagree by a few metres along shared edges).
CONTAINMENT_TOLERANCE_M = 30.0
#: Coordinates are stored to 6 decimals (about 0.1 m): finer is noise from a GPS or a map.
DECIMALS = 6
#: A ring of more points than this is refused (a state boundary traced at 1 m would be ~10^6).
MAX_POINTS = 20_000


class GeometryProblem(ValueError):
    """A shape that cannot be used, with the reason in an officer's words."""


def metres_to_degrees(metres: float) -> float:
    """A distance as degrees of latitude (the smaller of the two degrees, so a tolerance
    converted this way is never more generous than asked)."""
    return metres / METRES_PER_DEGREE


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def distances_m(
    lon: float, lat: float, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Great-circle distances in metres from one point to many (haversine, vectorised)."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: npt.NDArray[np.float64] = 2 * 6_371_008.8 * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result


def _check_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list | tuple) or len(ring) < 4:
        raise GeometryProblem(f"{where} has fewer than 4 positions (a closed ring needs 4)")
    if len(ring) > MAX_POINTS:
        raise GeometryProblem(f"{where} has more than {MAX_POINTS:,} positions")
    for position in ring:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(c, int | float) and math.isfinite(c) for c in position[:2])
        ):
            raise GeometryProblem(f"{where} holds a position that is not [longitude, latitude]")
        lon, lat = position[0], position[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeometryProblem(f"{where} holds {position[:2]}, outside longitude/latitude")
    if ring[0][:2] != ring[-1][:2]:
        raise GeometryProblem(f"{where} is not closed (its last position must repeat its first)")


def polygon_from_geojson(geometry: Any) -> Polygon | MultiPolygon:
    """A valid Polygon or MultiPolygon from a GeoJSON geometry object, or a
    :class:`GeometryProblem` saying what is wrong with it."""
    if not isinstance(geometry, dict):
        raise GeometryProblem("geometry is missing")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    polygons: list[Any] | None
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = list(coordinates) if isinstance(coordinates, list | tuple) else None
    else:
        raise GeometryProblem(f"geometry is a {kind!r}; an area must be a Polygon or MultiPolygon")
    if not polygons:
        raise GeometryProblem("geometry has no coordinates")
    for p, rings in enumerate(polygons):
        if not isinstance(rings, list | tuple) or not rings:
            raise GeometryProblem(f"polygon {p + 1} has no rings")
        for r, ring in enumerate(rings):
            where = "the outer ring" if r == 0 else f"hole {r}"
            _check_ring(ring, where if len(polygons) == 1 else f"polygon {p + 1}, {where}")
    shaped = shape(geometry)
    assert isinstance(shaped, Polygon | MultiPolygon)
    if not shaped.is_valid:
        # explain_validity names the defect and where: "Self-intersection[78.47 17.36]".
        raise GeometryProblem(f"the shape is not valid: {explain_validity(shaped)}")
    if shaped.area == 0:
        raise GeometryProblem("the shape has no area")
    return shaped


def point_from_geojson(geometry: Any) -> Point:
    """A point (check-in place) from a GeoJSON Point geometry."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise GeometryProblem("a check-in point's geometry must be a Point")
    coordinates = geometry.get("coordinates")
    _check_ring([coordinates, coordinates, coordinates, coordinates], "the point")
    assert isinstance(coordinates, list)
    return Point(coordinates[0], coordinates[1])


def inside(inner: BaseGeometry, outer: BaseGeometry, tolerance_m: float) -> bool:
    """Whether ``inner`` lies inside ``outer``, allowing it to stick out by ``tolerance_m``."""
    return bool(outer.buffer(metres_to_degrees(tolerance_m)).covers(inner))


def rounded(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry with coordinates on a 1e-6 degree grid (shapely.set_precision keeps it
    valid while snapping)."""
    return shapely.set_precision(geometry, 10**-DECIMALS)


def to_text(geometry: BaseGeometry) -> str:
    """GeoJSON geometry text, compact."""
    return json.dumps(mapping(geometry), separators=(",", ":"))


def from_text(text: str) -> BaseGeometry:
    return shape(json.loads(text))


@dataclass(frozen=True)
class Located:
    """What an index answers about a point: the shape's key, and its distance in metres
    (0 when the point lies inside)."""

    key: str
    distance_m: float


class ShapeIndex:
    """An STRtree over keyed shapes: which contain a point, and which lie nearest to it.

    Built once from the stored shapes and replaced when they change (areas change rarely;
    the tree answers in microseconds, where parsing every polygon per question would not).
    """

    def __init__(self, shapes: Sequence[tuple[str, BaseGeometry]]) -> None:
        self.keys = [key for key, _ in shapes]
        self.shapes = [geometry for _, geometry in shapes]
        self.tree = STRtree(self.shapes)
        for geometry in self.shapes:
            shapely.prepare(geometry)

    def __len__(self) -> int:
        return len(self.keys)

    def containing(self, lon: float, lat: float) -> list[str]:
        """Keys of the shapes that contain the point (boundary included)."""
        if not self.keys:
            return []
        hits = self.tree.query(Point(lon, lat), predicate="intersects")
        return [self.keys[int(i)] for i in hits]

    def nearest(self, lon: float, lat: float, within_m: float, limit: int = 5) -> list[Located]:
        """Up to ``limit`` shapes within ``within_m`` metres of the point, nearest first."""
        if not self.keys:
            return []
        # The tree searches in degrees: a box wide enough in longitude at this latitude.
        reach = within_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        here = Point(lon, lat)
        found: list[Located] = []
        for i in self.tree.query(here.buffer(reach)):
            geometry = self.shapes[int(i)]
            if geometry.intersects(here):
                metres = 0.0
            else:
                near = shapely.shortest_line(here, geometry).coords[-1]
                metres = distance_m(lon, lat, near[0], near[1])
            if metres <= within_m:
                found.append(Located(self.keys[int(i)], metres))
        found.sort(key=lambda located: located.distance_m)
        return found[:limit]
