"""bench/alerts_cap.py runs in a tiny mode and prints its figures (their presence and sense,
never their size)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "alerts_cap.py"


def test_the_cap_bench_prints_documents_issued_and_verified_per_second() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--documents", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["documents"] == 20
    assert figures["cap_issued_per_second"] > 0 and figures["cap_verified_per_second"] > 0
    assert figures["document_bytes"] > 1000 and figures["peak_rss_mib"] > 0
