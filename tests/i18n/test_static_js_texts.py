"""What the scripts show a person comes from the page, translated (json_script messages,
data- attributes); a script itself writes no UI text in one language. The only texts a
script holds are bilingual refusals, a Chinese and an English argument side by side
(``fail("不是 SM2 密钥", "not an SM2 key")``)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

SCRIPTS = sorted((Path(settings.BASE_DIR) / "static" / "js").glob("*.js"))
CJK = re.compile(r"[\u3400-\u9fff]")
LITERAL = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`")
# A hard-coded English text put on the page: an English sentence of three words or more
# assigned to what a person reads.
SHOWN_ENGLISH = re.compile(
    r"(?:textContent|innerText|title|placeholder|ariaLabel)\s*=\s*[\"'`][A-Za-z][a-z]+(?: [a-z]+){2,}"
    r"|(?:alert|confirm)\(\s*[\"'`][A-Za-z]"
)


def chinese_without_english() -> list[str]:
    """Lines with a Chinese text and no English one after it on the same line or the next
    (where a long pair breaks)."""
    found = []
    for script in SCRIPTS:
        lines = script.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.lstrip().startswith("//"):
                continue
            literals = LITERAL.findall(line)
            if not any(CJK.search(text) for text in literals):
                continue
            after = line[line.rfind(next(t for t in literals if CJK.search(t))) :]
            following = LITERAL.findall(after) + LITERAL.findall(
                lines[number + 1] if number + 1 < len(lines) else ""
            )
            if not any(re.search(r"[A-Za-z]{2,}", t) and not CJK.search(t) for t in following):
                found.append(f"{script.name}:{number + 1}: {line.strip()[:120]}")
    return found


def test_the_scripts_are_there_to_be_read() -> None:
    assert {"hall.js", "server-clock.js", "countdown.js"} <= {script.name for script in SCRIPTS}


def test_a_chinese_text_in_a_script_is_half_of_a_bilingual_refusal() -> None:
    assert chinese_without_english() == []


def test_no_script_puts_a_hard_coded_english_text_on_the_page() -> None:
    shown = [
        f"{script.name}: {match.group()}"
        for script in SCRIPTS
        for match in SHOWN_ENGLISH.finditer(script.read_text(encoding="utf-8"))
    ]
    assert shown == []
