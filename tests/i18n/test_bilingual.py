"""A refusal written "中文 / English" shows each half marked in its language, so that a
screen reader reads it with the right voice on a page of either language; the error pages
speak the page's language (issue 13)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import translation

from ggzy.templatetags.bilingual import bilingual


def test_each_half_of_a_bilingual_refusal_is_marked_in_its_language() -> None:
    shown = bilingual("投标截止时间已过 [R28] / The bid deadline has passed [R28]")
    assert shown == (
        '<span lang="zh-Hans">投标截止时间已过 [R28]</span> / '
        '<span lang="en">The bid deadline has passed [R28]</span>'
    )


def test_a_text_in_one_language_is_shown_as_it_is_and_escaped() -> None:
    assert [bilingual("Only bidders submit bids."), bilingual("<b>只有投标人</b>")] == [
        "Only bidders submit bids.",
        "&lt;b&gt;只有投标人&lt;/b&gt;",
    ]


def test_the_halves_of_a_refusal_are_escaped_too() -> None:
    page = Template("{{ refusal|bilingual }}").render(Context({"refusal": "错误<x> / bad <x>"}))
    assert (
        page == '<span lang="zh-Hans">错误&lt;x&gt;</span> / <span lang="en">bad &lt;x&gt;</span>'
    )


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "服务器错误"), ("en", "Server error")]
)
def test_the_error_pages_speak_the_language_asked_for(language: str, heading: str) -> None:
    with translation.override(language):
        page = get_template("500.html").render()
    assert f'<html lang="{language}">' in page and f"<h1>{heading}</h1>" in page
