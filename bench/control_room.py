"""The control room's map with a fleet on screen, in Chromium: ``kotwal run`` on SQLite with
``--units`` units (5,000 by default), each placed by its own tracker's pings, and a station
house officer's control-room page (Debian's /usr/bin/chromium through Playwright, 1280 x 800).

Measured: the time from opening the page to every unit drawn, which renderer the page chose
(SVG for a station, one canvas for a fleet), and, while the trackers keep reporting (a load of
``--seconds``), how often the page redrew (animation frames a second, the longest frame) and how
many updates the event stream delivered. A screenshot is left in test-artifacts/bench/ to look
at. Both cores are shared by the server, the trackers and the browser.

The viewer's disclosure budget is raised for a fleet (see bench/patrol.py): the default would
refuse a map of thousands of units.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

import patrol
import scaffold
from kotwal.core.config import Settings
from kotwal.domains import open_runtime
from kotwal.patrol.models import PatrolLatestPosition

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "bench"

#: Animation frames counted over this many milliseconds while the trackers report.
FRAMES_MS = 5000
_FRAMES = """(ms) => new Promise((done) => {
  const times = [];
  const start = performance.now();
  function tick(t) {
    times.push(t);
    if (t - start < ms) { requestAnimationFrame(tick); } else {
      let longest = 0;
      for (let i = 1; i < times.length; i++) {
        longest = Math.max(longest, times[i] - times[i - 1]);
      }
      done({ frames: times.length, longest_ms: longest, seconds: (t - start) / 1000 });
    }
  }
  requestAnimationFrame(tick);
})"""


def _load(port: int, tokens: list[str], connections: int, seconds: float) -> Any:
    """Start the trackers in a process of their own; the process and its result queue."""
    queue: Any = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=patrol.load, args=(port, tokens, connections, seconds, queue)
    )
    process.start()
    return process, queue


def _placed(data: Path) -> int:
    """Units with a position (the map should draw every one)."""
    runtime = open_runtime(Settings(data_dir=data))
    try:
        with runtime.db.transaction(write=False) as session:
            return int(
                session.execute(select(func.count()).select_from(PatrolLatestPosition)).scalar_one()
            )
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    out: dict[str, Any] = {"bench": "control_room", "units": args.units, "cores": os.cpu_count()}
    with scaffold.scratch_data_dir() as data:
        tokens = patrol.prepare(data, args.units)
        watcher = patrol.prepare_watcher(data)
        port = patrol.free_port()
        server = patrol.serve(data, port, 2)
        base = f"http://127.0.0.1:{port}"
        try:
            # Every unit reports (at least once) before the page opens: rounds of pings until
            # each has a position (how fast depends on what else the machine is doing).
            on_map, rounds, placing = 0, 0, 0
            while on_map < args.units and rounds < 10:
                process, queue = _load(port, tokens, args.connections, 8.0)
                placing += queue.get()["ok"]
                process.join()
                on_map, rounds = _placed(data), rounds + 1
            out["placing_pings"], out["units_placed"] = placing, on_map
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
                )
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                context.add_cookies(
                    [{"name": "kotwal-session", "value": watcher["cookie"], "url": base}]
                )
                page = context.new_page()
                began = time.perf_counter()
                page.goto(f"{base}/patrol/control")
                page.wait_for_function(
                    f"() => Number(document.getElementById('control-room').dataset.markers"
                    f" || 0) >= {on_map}",
                    timeout=300_000,
                )
                out["first_draw_s"] = round(time.perf_counter() - began, 2)
                out["renderer"] = page.evaluate(
                    "() => document.getElementById('control-room').dataset.renderer"
                )
                updated = page.evaluate(
                    "() => document.getElementById('control-room').dataset.updated"
                )
                process, queue = _load(port, tokens, args.connections, args.seconds)
                time.sleep(min(3.0, args.seconds / 4))
                frames = page.evaluate(_FRAMES, FRAMES_MS)
                moved = queue.get()
                process.join()
                out["pings_during"] = moved["ok"]
                out["pings_per_second_during"] = round(moved["ok"] / moved["elapsed"], 1)
                out["frames_per_second"] = round(frames["frames"] / frames["seconds"], 1)
                out["longest_frame_ms"] = round(frames["longest_ms"], 1)
                out["stream_updated"] = (
                    page.evaluate("() => document.getElementById('control-room').dataset.updated")
                    != updated
                )
                out["state"] = page.locator("#control-state").inner_text()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=ARTIFACTS / f"control-room-{args.units}.png")
                browser.close()
        finally:
            patrol.stop(server)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(
        f"{out['units_placed']:,} units drawn in {out['first_draw_s']} s ({out['renderer']}); "
        f"while {out['pings_per_second_during']:,} pings/s arrived: {out['frames_per_second']} "
        f"frames/s, longest frame {out['longest_frame_ms']} ms; stream: {out['state']}"
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
