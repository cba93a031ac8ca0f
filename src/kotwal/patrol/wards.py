"""Which Greater Hyderabad wards make up each demo Hyderabad station's area (its beats are the
wards themselves), and where the shipped ward polygons are.

The wards are real (OpenStreetMap's GHMC ward boundaries, shipped in ``data/``, see its
README for the licence and how the file was derived); which station patrols which ward is made
up for the demo, by where the places lie.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
WARDS_FILE = DATA / "hyderabad-wards.geojson"

#: Demo station locality (kotwal.demo's Hyderabad list) -> the GHMC wards it patrols.
# A table of data, aligned by hand: it reads better in rows than one item a line.
STATION_WARDS: dict[str, list[str]] = {
    "Charminar": ["Ward 49 Ghansi Bazar", "Ward 52 Puranapool", "Ward 32 Patthergatti",
                  "Ward 33 Moghalpura", "Ward 53 Doodh Bowli"],
    "Golconda": ["Ward 67 Golconda", "Ward 66 Langar Houz", "Ward 68 Tolichowki",
                 "Ward 65 Karwan"],
    "Begum Bazar": ["Ward 50 Begum Bazar", "Ward 51 Goshamahal", "Ward 63 Mangalhat",
                    "Ward 64 Dattatreya Nagar"],
    "Afzalgunj": ["Ward 30 Dabeerpura", "Ward 28 Azampura", "Ward 29 Chawni",
                  "Ward 37 Rein Bazar"],
    "Chilkalguda": ["Ward 145 Seethaphalmandi", "Ward 147 Bansilapet", "Ward 88 Bholakpur",
                    "Ward 86 Musheerabad"],
    "Saifabad": ["Ward 75 Red Hills", "Ward 76 Mallepally", "Ward 77 Jambagh",
                 "Ward 78 Gunfoundry"],
    "Banjara Hills": ["Ward 93 Banjara Hills", "Ward 74 Ahmed Nagar",
                      "Ward 92 Venkateshwara Colony", "Ward 69 Nanal Nagar"],
    "Jubilee Hills": ["Ward 95 Jubilee Hills", "Ward 94 Shaikpet", "Ward 96 Yousufguda",
                      "Ward 102 Rahmath Nagar"],
    "Panjagutta": ["Ward 97 Somajiguda", "Ward 98 Ameerpet", "Ward 91 Khairatabad",
                   "Ward 99 Vengal Rao Nagar"],
    "Abids": ["Ward 79 Himayath Nagar", "Ward 80 Kachiguda", "Ward 89 Gandhinagar",
              "Ward 90 Kavadiguda"],
}  # fmt: skip


def load_wards() -> dict[str, dict[str, Any]]:
    """Ward name -> its GeoJSON geometry (and OpenStreetMap id), from the shipped file."""
    document = json.loads(WARDS_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["name"]: f for f in document["features"]}
