"""bench/patrol.py runs in a tiny mode and prints its figures (their presence and sense, never
their size): every accepted ping is in the database, the nearest-unit query answered, and the
coverage of every beat's shift computed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "patrol.py"


def test_the_patrol_bench_prints_pings_per_second_and_stores_every_accepted_ping() -> None:
    tiny = ["--units", "20", "--seconds", "4", "--connections", "4", "--queries", "20"]
    tiny += ["--beats", "10", "--shift-hours", "1"]
    run = subprocess.run(
        [sys.executable, str(BENCH), *tiny],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "patrol" and figures["units"] == 20
    assert figures["pings_accepted"] > 0 and figures["pings_refused"] == 0
    assert figures["positions_stored"] == figures["pings_accepted"]
    assert figures["pings_per_second"] > 0 and figures["server_cpu_ms_per_ping"] > 0
    assert figures["units_with_positions"] > 0 and figures["nearest_p95_ms"] > 0
    assert figures["coverage_beats"] == 10 and figures["coverage_fixes"] == 10 * 360
    assert 0 < figures["coverage_area_share_median"] <= 1 and figures["coverage_seconds"] > 0
    assert figures["screen_stream"] == "open" and figures["screen_seen"] > 0
