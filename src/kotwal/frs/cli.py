"""``kotwal frs``: status, enrolment batches, index rebuild and threshold calibration.

Commands that change anything act as a real officer's account (``--as``) holding
``frs:gallery:manage``, and the audit log names it with the operating-system user who ran it.

Exit codes: 0 done; 1 some photographs of a batch were refused (each is listed; the others
are enrolled); 2 the command could not run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from kotwal.commands import AsOption, acting_as, fail, runtime_or_exit, stdout
from kotwal.core.errors import Problem
from kotwal.core.uow import UnitOfWork
from kotwal.frs import service
from kotwal.frs.engine import MODEL_NAME, Embedding, NoFace, SeveralFaces, encode_batch
from kotwal.frs.models import Gallery

app = typer.Typer(
    help="Face recognition: status, enrolment batches, index rebuild, calibration.",
    no_args_is_help=True,
)

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})


@contextmanager
def _problems_exit() -> Iterator[None]:
    try:
        yield
    except Problem as exc:
        raise fail(escape(exc.detail or exc.title)) from exc


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


@app.command("status")
def status_command() -> None:
    """Model, dlib build (OpenBLAS or the wheel), threshold in force, gallery sizes and how
    galleries are searched."""
    with runtime_or_exit() as runtime, UnitOfWork(runtime, write=False) as uow:
        info = service.status(uow)
    out = stdout()
    out.print(f"model      {info['model']}")
    build = "OpenBLAS (DLIB_USE_BLAS)" if info["blas"] else "prebuilt wheel, no BLAS"
    out.print(f"dlib       {info['dlib_version']}, {build}")
    out.print(f"1:1        threshold {info['threshold']:.4f} ({info['threshold_source']})")
    out.print(f"1:N        target FPIR {info['target_fpir']:g}")
    for gallery, size in info["galleries"].items():
        at = _in_force(info["search_thresholds"][gallery])
        out.print(f"gallery    {gallery}: {size:,} face(s), {at}")
    out.print(f"search     {info['index']}")


def _in_force(entry: dict[str, Any]) -> str:
    """One gallery's 1:N threshold as the commands print it."""
    fnir = entry["predicted_fnir"]
    text = (
        f"threshold {entry['threshold']:.4f} (for up to {entry['size_bound']:,} faces; "
        f"{entry['source']}{', the 1:1 floor' if entry['floored'] else ''}), "
        f"predicted FPIR {entry['predicted_fpir']:.4f}"
    )
    return text + ("" if fnir is None else f", FNIR {fnir:.4f}")


@app.command("reindex")
def reindex_command(username: AsOption) -> None:
    """Rebuild every gallery's search index from the sealed templates in the database."""
    with (
        runtime_or_exit() as runtime,
        _problems_exit(),
        UnitOfWork(runtime, write=True) as uow,
        _progress() as progress,
    ):
        actor = acting_as(uow, username)
        tasks: dict[str, TaskID] = {}

        def report(gallery: str, done: int, total: int) -> None:
            if gallery not in tasks:
                tasks[gallery] = progress.add_task(gallery, total=total)
            progress.update(tasks[gallery], completed=done, total=total)

        sizes = service.reindex(uow, actor, report)
    for gallery, size in sizes.items():
        stdout().print(f"{gallery}: {size:,} face(s) indexed")


def _photos(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES
    )


@app.command("enrol")
def enrol_command(
    gallery: Annotated[Gallery, typer.Argument(help="Gallery to enrol into.")],
    directory: Annotated[
        Path,
        typer.Argument(
            help="Folder of photographs named <person id>.<jpg|png|webp>, one face each.",
            exists=True,
            file_okay=False,
        ),
    ],
    username: AsOption,
) -> None:
    """Enrol a folder of photographs, encoded on every core; one transaction for the batch."""
    files = _photos(directory)
    refused: list[str] = []
    with (
        runtime_or_exit() as runtime,
        _problems_exit(),
        UnitOfWork(runtime, write=True) as uow,
        _progress() as progress,
    ):
        actor = acting_as(uow, username)
        task = progress.add_task("encoding", total=len(files))
        blobs = [f.read_bytes() for f in files]
        enrolled = 0
        for result in encode_batch(
            blobs, max_bytes=service.MAX_PHOTO_BYTES, max_pixels=service.MAX_PHOTO_PIXELS
        ):
            progress.advance(task)
            name = files[result.index].name
            if result.error or len(result.faces) != 1 or result.sha256 is None:
                why = result.error or f"{len(result.faces)} faces (one is needed)"
                refused.append(f"{name}: {why}")
                if result.sha256 is not None:  # decoded, then refused: audited
                    problem = NoFace() if not result.faces else SeveralFaces(why)
                    service.refuse(uow, actor, "enrol", result.sha256, problem)
                continue
            try:
                service.enrol_face(
                    uow,
                    actor,
                    gallery,
                    files[result.index].stem,
                    result.faces[0],
                    result.sha256,
                )
            except Problem as exc:
                refused.append(f"{name}: {exc.detail or exc.title}")
                continue
            enrolled += 1
    stdout().print(f"enrolled {enrolled:,} face(s) into {gallery.value}")
    for line in refused:
        stdout().print(f"  refused {escape(line)}")
    if refused:
        raise typer.Exit(1)


@app.command("calibrate")
def calibrate_command(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Labelled folder: <identity>/<image>, two or more images for some identities.",
            exists=True,
            file_okay=False,
        ),
    ],
    username: AsOption,
    target_fmr: Annotated[
        float, typer.Option("--target-fmr", min=1e-7, max=0.1, help="False-match rate to hold.")
    ] = 1e-3,
    gallery: Annotated[
        Gallery | None,
        typer.Option("--gallery", help="Calibrate for this gallery only (default: every gallery)."),
    ] = None,
) -> None:
    """Choose the 1:1 threshold for a target false-match rate, fit the impostor tail from
    which every 1:N threshold is chosen (at 10,000 impostor pairs or more), store both with the
    model's name, and report FPIR and FNIR at the gallery sizes in force."""
    labelled = [
        (person.name, photo)
        for person in sorted(p for p in directory.iterdir() if p.is_dir())
        for photo in _photos(person)
    ]
    by_identity: dict[str, list[Embedding]] = {}
    with _progress() as progress:
        task = progress.add_task("encoding", total=len(labelled))
        for result in encode_batch([p.read_bytes() for _, p in labelled]):
            progress.advance(task)
            if result.faces:
                # Several faces: the largest is the labelled person (faces come largest first).
                by_identity.setdefault(labelled[result.index][0], []).append(
                    result.faces[0].embedding
                )
    with runtime_or_exit() as runtime, _problems_exit():
        chosen = service.choose_threshold(by_identity, target_fmr)
        with UnitOfWork(runtime, write=True) as uow:
            service.save_calibration(uow, acting_as(uow, username), chosen, gallery)
        with UnitOfWork(runtime, write=False) as uow:
            info = service.status(uow)
    out = stdout()
    out.print(f"model      {MODEL_NAME}")
    out.print(
        f"threshold  {chosen.threshold:.4f} for target FMR {target_fmr:g} "
        f"({chosen.identities:,} identities, {chosen.genuine_pairs:,} genuine and "
        f"{chosen.impostor_pairs:,} impostor pairs)"
    )
    out.print(f"FMR        {chosen.fmr:.6f}")
    out.print(f"FNMR       {chosen.fnmr:.6f}")
    if chosen.tail is None:
        out.print(f"tail       none stored: {escape(chosen.no_tail or '')}")
    else:
        t = chosen.tail
        out.print(
            f"tail       generalised Pareto above {t.u:.4f} (the top {t.p_u:.2%} of impostor "
            f"scores): shape {t.xi:.4f}, scale {t.sigma:.5f}"
        )
    out.print(f"1:N        target FPIR {info['target_fpir']:g}; at the gallery sizes in force:")
    for name, size in info["galleries"].items():
        if gallery is None or name == gallery.value:
            out.print(f"  {name}: {size:,} face(s), {_in_force(info['search_thresholds'][name])}")
