"""bench/control_room.py runs in a tiny mode and prints its figures (their presence and sense,
never their size): every placed unit drawn, the stream live while pings arrive."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "control_room.py"

pytestmark = [pytest.mark.browser]


def test_the_control_room_bench_draws_every_unit_and_stays_live() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--units", "20", "--seconds", "6", "--connections", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "control_room" and figures["units_placed"] == 20
    assert figures["renderer"] == "svg" and figures["first_draw_s"] > 0
    assert figures["frames_per_second"] > 0 and figures["stream_updated"] is True
    assert figures["state"].startswith("Live")
