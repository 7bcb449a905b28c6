"""Accessibility checks for the browser tests: axe-core run on the page a test shows.

Use from any browser test::

    from tests.browser.accessibility import assert_accessible

    page.goto(base + reverse("trading:announcements"))
    assert_accessible(page, "the announcements, as a visitor")

``assert_accessible(page, what)`` runs axe-core (the vendored copy in
``tests/browser/vendor/axe-core``) on the page as it stands, against the rules tagged
wcag2a, wcag2aa, wcag21a, wcag21aa and best-practice, and fails if any violation has the
impact "serious" or "critical". The failure names ``what`` (say which page, as whom and in
which state) and lists, for each violation, the rule id, axe's help text and the CSS
selectors of the offending elements. Moderate and minor findings do not fail the test; they
are returned, so a test may assert on them too.

Other helpers here:

- ``axe_violations(page)``: every violation axe finds (all impacts), as axe reports them;
- ``accessible_name_missing(page)``: the form controls that have no accessible name.

axe is injected with ``page.evaluate(source)``, which runs through the DevTools protocol:
the page's Content-Security-Policy does not apply to it (a ``<script>`` tag added to the
page would be refused by ``script-src 'self'``), and nothing is served to real visitors.
What axe cannot check, and how it was checked by hand, is in docs/accessibility.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
FAILING_IMPACTS = ("serious", "critical")

_RUN = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(" ")),
    summaries: v.nodes.map((n) => n.failureSummary || ""),
  }));
}"""

# Controls a person fills or presses, and whether each has a name assistive technology reads
# out (its label, aria-label or aria-labelledby, or a button's text): axe checks most of
# these, this one covers them all, hidden controls of the page included once shown.
_UNNAMED_CONTROLS = """() => {
  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button");
  const unnamed = [];
  for (const el of controls) {
    if (!el.checkVisibility()) continue;
    const labelled = (el.labels && el.labels.length)
      || (el.getAttribute("aria-label") || "").trim()
      || (el.getAttribute("aria-labelledby") || "").trim()
      || (el.getAttribute("title") || "").trim()
      || ((el.tagName === "BUTTON") && el.textContent.trim())
      || (["submit", "button", "reset"].includes(el.type) && (el.value || "").trim());
    if (!labelled) unnamed.push(el.outerHTML.slice(0, 160));
  }
  return unnamed;
}"""


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _inject(page: Page) -> None:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every violation axe finds on the page, whatever its impact."""
    _inject(page)
    return list(page.evaluate(_RUN, list(TAGS)))


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            first = summary.splitlines()[1].strip() if summary.count("\n") else summary
            lines.append(f"    {target}  ({first})")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str) -> list[dict[str, Any]]:
    """Fails if axe finds a serious or critical violation on the page; returns the rest."""
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"accessibility violations on {what} ({page.url}):\n{describe(failing)}"
    return violations


def accessible_name_missing(page: Page) -> list[str]:
    """The visible form controls a screen reader could not name."""
    return list(page.evaluate(_UNNAMED_CONTROLS))
