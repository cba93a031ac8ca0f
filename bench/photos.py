"""Photographs: what one upload and one download cost, end to end through the service.

For two synthetic photographs (a 12-megapixel phone photo and a 2-megapixel one, JPEG, made at
run time with noise so they compress like real pictures), measures per photo:
- ``check_clean_ms``: core.images.decode + clean_bytes (size/pixel checks, decode, EXIF
  rotation, re-encode without metadata) - the CPU part, no database;
- ``upload_ms``: photos.service.add_photo in a write unit of work (the above, plus sealing the
  picture under a fresh data key, the insert and the audit event), committed;
- ``download_ms``: photos.service.read_image in a read unit of work (gate, decryption, digest
  check, audit event made durable by group commit);
on SQLite and on PostgreSQL, one client at a time (the figure is latency, not throughput).

    .venv/bin/python bench/photos.py [--repeat 5]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PIL import Image

import scaffold
from kotwal.core import images
from kotwal.core.config import Settings
from kotwal.core.keys import load_keys
from kotwal.core.migrate import upgrade
from kotwal.core.policy import Actor, Role
from kotwal.core.runtime import Runtime, open_runtime
from kotwal.core.uow import UnitOfWork
from kotwal.photos import service
from kotwal.records.schemas import PersonCategory, PersonCreate
from kotwal.records.service import file_person

SIZES = {"12mp": (4000, 3000), "2mp": (1600, 1200)}


def _photo(width: int, height: int) -> bytes:
    """A JPEG that compresses like a photograph: a gradient under sensor-like noise."""
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    out = io.BytesIO()
    Image.blend(gradient, noise, 0.35).save(out, format="JPEG", quality=92)
    return out.getvalue()


def _check_and_clean(data: bytes) -> object:
    return images.clean_bytes(images.decode(data))


def _ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def _seed(runtime: Runtime) -> tuple[Actor, str]:
    station = scaffold.station(runtime)
    officer = Actor(
        account_id=str(uuid.uuid4()),
        username="si.bench",
        roles=frozenset({Role.SUB_INSPECTOR}),
        jurisdiction_paths=(station.path,),
    )
    with UnitOfWork(runtime, write=True) as uow:
        person = file_person(
            uow,
            officer,
            PersonCreate(
                name="Synthetic Person", category=PersonCategory.OFFENDER, station_id=station.id
            ),
        )
        person_id = person.id
    return officer, person_id


def _run(url: str, data_dir: Path, photos: dict[str, bytes], repeat: int) -> dict[str, float]:
    settings = Settings(data_dir=data_dir, database_url=url)
    runtime = open_runtime(settings, keyring=load_keys(settings))
    figures: dict[str, float] = {}
    try:
        upgrade(runtime.db.engine)
        officer, person_id = _seed(runtime)
        for name, data in photos.items():
            added: list[str] = []

            def upload(data: bytes = data, added: list[str] = added) -> None:
                with UnitOfWork(runtime, write=True) as uow:
                    shown = service.add_photo(uow, officer, service.OWNER_PERSON, person_id, data)
                    added.append(shown["id"])

            figures[f"upload_ms_{name}"] = _ms(upload, repeat)
            kept = added[0]

            def download(kept: str = kept) -> None:
                with UnitOfWork(runtime, write=False) as uow:
                    service.read_image(uow, officer, service.OWNER_PERSON, kept, None)

            figures[f"download_ms_{name}"] = _ms(download, repeat)
            with UnitOfWork(runtime, write=True) as uow:  # under the per-person cap again
                for photo_id in added:
                    service.retire_photo(uow, officer, service.OWNER_PERSON, photo_id, "bench")
    finally:
        runtime.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # At most the per-person cap of photographs in use (each size's are retired after it).
    parser.add_argument("--repeat", type=int, default=5, choices=range(1, 21))
    args = parser.parse_args()
    photos = {name: _photo(*size) for name, size in SIZES.items()}
    figures: dict[str, object] = {"cores": os.cpu_count(), "repeat": args.repeat}
    for name, data in photos.items():
        figures[f"bytes_{name}"] = len(data)
        figures[f"check_clean_ms_{name}"] = _ms(partial(_check_and_clean, data), args.repeat)
        print(f"{name}: {len(data):,} bytes; check+clean {figures[f'check_clean_ms_{name}']} ms")
    with scaffold.scratch_data_dir() as data_dir:
        sqlite = _run(f"sqlite:///{data_dir / 'bench.db'}", data_dir, photos, args.repeat)
        print("SQLite:    ", sqlite)
        with scaffold.scratch_postgres("photos") as url:
            pg = _run(url, data_dir, photos, args.repeat)
        print("PostgreSQL:", pg)
    figures |= {f"sqlite_{k}": v for k, v in sqlite.items()}
    figures |= {f"postgresql_{k}": v for k, v in pg.items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
