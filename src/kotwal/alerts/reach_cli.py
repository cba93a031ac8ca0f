"""``kotwal alerts subscribers`` and ``kotwal alerts channels``: who the alerts reach, and the
ways out that switch themselves off.

A subscribers file is CSV with the columns ``number, categories, areas, wards, source``
(categories, areas and wards separated by "|": ``Met|Safety``, jurisdiction codes, GHMC ward
codes) or JSON ``{"subscribers": [...]}`` as the API takes it. It is recorded whole or not at
all, and recording the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from kotwal.alerts import audiences, channels
from kotwal.alerts.schemas import SubscriberIn, SubscribersIn
from kotwal.commands import AsOption, acting_as, fail, problems_exit, runtime_or_exit
from kotwal.core.uow import UnitOfWork

subscribers_app = typer.Typer(help="Numbers that asked for public alerts.", no_args_is_help=True)
channels_app = typer.Typer(
    help="The SMPP links and the public feed: owners, expiry, use.", no_args_is_help=True
)

#: A million subscribers as CSV is about 60 MB.
FILE_MAX_BYTES = 200 * 1024 * 1024
CSV_COLUMNS = ("number", "categories", "areas", "wards", "source")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def parse_subscribers(file: Path) -> list[SubscriberIn]:
    """The file's subscribers, or a readable error naming the first bad line."""
    if file.stat().st_size > FILE_MAX_BYTES:
        raise fail(f"{escape(str(file))} is larger than {FILE_MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"{escape(str(file))} is not UTF-8 text") from exc
    if file.suffix.lower() != ".csv":
        try:
            return SubscribersIn.model_validate(json.loads(text)).subscribers
        except (ValueError, ValidationError) as exc:
            problem = escape(str(exc))
            raise fail(f"{escape(str(file))}: not a subscribers document: {problem}") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise fail(f"the CSV lacks the column(s) {', '.join(missing)}; nothing was written")
    found = []
    for line, row in enumerate(reader, start=2):
        try:
            found.append(
                SubscriberIn(
                    number=row["number"] or "",
                    categories=_split(row["categories"]),
                    areas=_split(row["areas"]),
                    wards=_split(row["wards"]),
                    source=row["source"] or "",
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "row"
            raise fail(
                f"line {line}: {escape(where)}: {escape(first['msg'])}; nothing was written"
            ) from exc
    if not found:
        raise fail("the file holds no subscriber; nothing was written")
    return found


@subscribers_app.command("import")
def import_subscribers(
    file: Annotated[
        Path,
        typer.Argument(help="Subscribers CSV or JSON.", exists=True, dir_okay=False),
    ],
    username: AsOption,
) -> None:
    """Record an opt-in list: new numbers added, known ones given these categories and areas."""
    entries = parse_subscribers(file)
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        done = audiences.subscribe(uow, acting_as(uow, username), entries)
    typer.echo(f"{done.added} subscriber(s) added, {done.updated} updated")


@subscribers_app.command("remove")
def remove_subscriber(
    number: Annotated[str, typer.Argument(help="The mobile number that asked to stop.")],
    username: AsOption,
) -> None:
    """Forget a number: its areas, its sealed number, and its messages not yet sent."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        removed = audiences.unsubscribe(uow, acting_as(uow, username), number)
    typer.echo("removed" if removed else "that number was not subscribed")


@subscribers_app.command("count")
def count_subscribers(username: AsOption) -> None:
    """How many numbers are subscribed."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=False) as uow:
        acting_as(uow, username)
        typer.echo(f"{audiences.subscriber_count(uow)} subscriber(s)")


def _day(moment: object) -> str:
    return f"{moment:%Y-%m-%d}" if isinstance(moment, datetime) else "-"


@channels_app.command("list")
def list_channels(username: AsOption) -> None:
    """Every channel: owner, expiry, last use, and whether it is live now."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=False) as uow:
        rows = channels.listing(uow, acting_as(uow, username))
    if not rows:
        typer.echo("no channel yet (an SMSC link or the first approved alert makes one)")
    for row in rows:
        state = "live" if row["live"] else f"disabled ({row['reason']})"
        asked = f"  enable asked by {row['requested_by']}" if row["requested_by"] else ""
        typer.echo(
            f"{row['name']:<24} {state:<20} owner {row['owner']}  expires "
            f"{_day(row['expires_at'])}  last used {_day(row['last_used_at'])}{asked}"
        )


@channels_app.command("disable")
def disable_channel(
    name: Annotated[str, typer.Argument(help="e.g. smpp:default or public-feed")],
    username: AsOption,
) -> None:
    """Switch a channel off now (one officer suffices)."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        channels.disable(uow, acting_as(uow, username), name)
    typer.echo(f"{name} disabled")


@channels_app.command("request")
def request_channel(
    name: Annotated[str, typer.Argument(help="e.g. smpp:default or public-feed")],
    username: AsOption,
    owner: Annotated[str, typer.Option(help="The officer who answers for it (username).")],
    days: Annotated[int, typer.Option(min=1, help="How long it stays enabled.")] = 365,
) -> None:
    """Ask for a channel to be enabled or renewed; a second officer approves."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        channels.request_enable(uow, acting_as(uow, username), name, owner, days)
    typer.echo(f"asked; another officer must run: kotwal alerts channels approve {name} --as ...")


@channels_app.command("approve")
def approve_channel(
    name: Annotated[str, typer.Argument(help="e.g. smpp:default or public-feed")],
    username: AsOption,
) -> None:
    """Approve another officer's request: the channel is live again."""
    with runtime_or_exit() as runtime, problems_exit(), UnitOfWork(runtime, write=True) as uow:
        channel = channels.approve_enable(uow, acting_as(uow, username), name)
        until = _day(channel.expires_at)
    typer.echo(f"{name} enabled until {until}")


@channels_app.command("sweep")
def sweep_channels() -> None:
    """Write down the channels that have disabled themselves (a worker does this each minute)."""
    with runtime_or_exit() as runtime:
        gone = channels.sweep(runtime)
    typer.echo(f"disabled: {', '.join(gone)}" if gone else "no channel has lapsed")
