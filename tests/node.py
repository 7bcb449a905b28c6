"""Running the pages' JavaScript under Node, for the interoperability tests.

A test module writes a *driver*: JavaScript that loads the page's code and defines
``const run = {op(request) {…}, …}``; :data:`ANSWER_ONE_REQUEST` then reads one JSON request
on stdin and prints one JSON line, ``{"ok": …}`` or ``{"error": message}``. Tests take the
``node`` fixture (tests/conftest.py) and are marked ``requires_node``: without ``node`` they are
skipped on a developer's machine, but fail in CI (``CI=true``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import tools

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
MISSING = "needs Node.js (`node`, apt-get install nodejs) to run the pages' JavaScript"
requires_node = tools.requires(NODE, MISSING)

ANSWER_ONE_REQUEST = r"""
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const request = JSON.parse(input);
  try {
    console.log(JSON.stringify({ ok: await run[request.op](request) }));
  } catch (error) {
    console.log(JSON.stringify({ error: error.message }));
  }
});
"""


def answer(node: str, driver: str, op: str, **request: Any) -> Any:
    """What ``run[op](request)`` returns; an AssertionError with its message if it throws."""
    done = subprocess.run(
        [node, "-e", driver + ANSWER_ONE_REQUEST, str(ROOT)],
        input=json.dumps({"op": op, **request}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    if "error" in result:
        raise AssertionError(result["error"])
    return result["ok"]


def refusal(node: str, driver: str, op: str, **request: Any) -> str:
    """The message ``run[op](request)`` throws (the test fails if it does not throw)."""
    with pytest.raises(AssertionError) as refused:
        answer(node, driver, op, **request)
    return str(refused.value)
