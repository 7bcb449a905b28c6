"""The vendored Chart.js and htmx are the pinned releases their READMEs name, byte for byte:
a changed file (by hand, or a different version copied in) fails here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"
PINNED = {
    "chartjs/chart.umd.min.js": (
        "4.6.1",
        "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2",
    ),
    "htmx/htmx.min.js": (
        "2.0.11",
        "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
    ),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_vendored_file_is_the_pinned_release(name: str) -> None:
    version, digest = PINNED[name]
    path = VENDOR / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    readme = (path.parent / "README.md").read_text()
    assert version in readme and digest in readme
    assert (path.parent / "LICENSE").stat().st_size > 0


def test_the_chart_library_injects_no_stylesheet_the_policy_would_refuse() -> None:
    source = (VENDOR / "chartjs" / "chart.umd.min.js").read_text()
    assert 'createElement("style")' not in source
    assert "insertRule" not in source


def test_the_workbench_loads_htmx_without_eval_injected_styles_or_swapped_scripts() -> None:
    page = (Path(settings.BASE_DIR) / "templates" / "accounts" / "dashboard.html").read_text()
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false,'
        '"allowEval":false,"allowScriptTags":false}\'>'
    ) in page
