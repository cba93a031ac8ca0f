"""Secret scan: detect-secrets over the tracked files, compared with the committed baseline.

Fails when anything is found that the baseline does not already list; the baseline itself is
kept empty, so in practice it fails on any finding. Run as part of ``make test``.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - fixed argument lists, no shell
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".secrets.baseline"


def tracked_files() -> list[str]:
    out = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [f for f in out.splitlines() if f and (ROOT / f).is_file()]


def main() -> int:
    files = tracked_files()
    proc = subprocess.run(  # nosec B603
        [sys.executable, "-m", "detect_secrets", "scan", *files],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(proc.stdout)["results"]
    allowed = json.loads(BASELINE.read_text())["results"] if BASELINE.exists() else {}
    new = {
        path: [
            h
            for h in hits
            if h["hashed_secret"] not in {a["hashed_secret"] for a in allowed.get(path, [])}
        ]
        for path, hits in found.items()
    }
    new = {p: h for p, h in new.items() if h}
    if new:
        for path, hits in sorted(new.items()):
            for hit in hits:
                print(f"{path}:{hit['line_number']}: {hit['type']}")
        print(f"secret scan: {sum(len(h) for h in new.values())} finding(s)", file=sys.stderr)
        return 1
    print(f"secret scan: {len(files)} files, 0 findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
