"""bench/citizen.py runs in a tiny mode and prints its figures (their presence and sense, never
their size): every accepted trip position is in the database, and every SOS probe was seen in
the control room's queue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "citizen.py"


def test_the_citizen_bench_prints_positions_per_second_and_sos_latency() -> None:
    tiny = ["--trips", "6", "--seconds", "3", "--connections", "3", "--sos", "2"]
    run = subprocess.run(
        [sys.executable, str(BENCH), *tiny],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "citizen" and figures["trips"] == 6
    assert figures["positions_accepted"] > 0 and figures["positions_refused_requests"] == 0
    assert figures["positions_stored"] == figures["positions_accepted"]
    assert figures["positions_per_second"] > 0 and figures["server_cpu_ms_per_position"] > 0
    assert figures["sos_seen"] == figures["sos_probes"] == 2 and figures["sos_p95_ms"] > 0
