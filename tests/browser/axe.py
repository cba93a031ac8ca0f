"""Accessibility checks of console pages with axe-core, for any browser test to call.

    from tests.browser.axe import assert_accessible
    assert_accessible(page)                      # the page as it is now
    assert_accessible(page, exclude=["#map"])    # leave out a part axe cannot judge

axe-core (Deque Systems, MPL-2.0) is vendored for the tests only, in
``tests/browser/vendor/axe-core-<version>/`` with its licence (``scripts/vendor-axe`` fetches it
again from npm); kotwal never serves it. It is put into the page through the DevTools protocol,
as the conftest's CSP listener is, so the console's content security policy (which refuses
inline and foreign scripts) neither blocks it nor reports it. The rules run are axe's WCAG 2.x
A and AA sets and its best practices; a violation of impact *serious* or *critical* fails the
test with each rule, its help text and the elements it found.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
#: What fails a test; "minor" and "moderate" findings are returned, not asserted.
FAILING = ("serious", "critical")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_RUN = """async ([exclude, tags]) => {
  const context = exclude.length ? {include: [document], exclude: exclude.map(s => [s])} : document;
  const result = await axe.run(context, {runOnly: {type: 'tag', values: tags},
                                         resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                              html: n.html.slice(0, 200)}))
  }));
}"""


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _inject(page: Page) -> None:
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    cdp = page.context.new_cdp_session(page)
    try:
        reply = cdp.send("Runtime.evaluate", {"expression": _source(), "returnByValue": False})
    finally:
        cdp.detach()
    assert "exceptionDetails" not in reply, reply.get("exceptionDetails")
    assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"


def violations(page: Page, *, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every impact), after its fonts load."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    _inject(page)
    found: list[dict[str, Any]] = page.evaluate(_RUN, [exclude or [], TAGS])
    return found


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['impact']}: {v['id']} — {v['help']} ({v['url']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}".replace("\n", " "))
    return "\n".join(lines)


def assert_accessible(page: Page, *, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """Fail on any serious or critical violation; the lesser ones, for a test to look at."""
    found = violations(page, exclude=exclude)
    failing = [v for v in found if v["impact"] in FAILING]
    assert not failing, f"accessibility violations on {page.url}:\n{describe(failing)}"
    return [v for v in found if v["impact"] not in FAILING]
