"""``{{ refusal|bilingual }}``: a refusal written "中文 / English" (ggzy.errors.DomainError)
with each half marked in its language, ``<span lang="zh-Hans">…</span> / <span lang="en">…
</span>``, so that a screen reader reads each half with the right voice on any page (issue
13). Any other text is shown as it is (escaped). A builtin library: no ``{% load %}``."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

CJK = re.compile(r"[\u3400-\u9fff]")
SEPARATOR = " / "


def halves(text: str) -> tuple[str, str] | None:
    """The Chinese and the English half of a bilingual text, or None if it is not one."""
    chinese, separator, english = text.partition(SEPARATOR)
    if not separator or not CJK.search(chinese) or CJK.search(english):
        return None
    if not re.search(r"[A-Za-z]{2,}", english):
        return None
    return chinese, english


@register.filter
def bilingual(value: Any) -> SafeString:
    text = str(value)
    split = halves(text)
    if split is None:
        return format_html("{}", text)
    return format_html('<span lang="zh-Hans">{}</span> / <span lang="en">{}</span>', *split)
