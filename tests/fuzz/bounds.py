"""What every fuzz target shares: its example budget and the bounds it asserts.

Each target names its CI budget (``examples(300)``); the ``dev`` profile multiplies it.
Memory is measured with tracemalloc (Python allocations: what a hostile input could make a
parser build) and must stay within ``per_byte`` × input size + ``constant``. Time is not
asserted on the wall clock (that flakes on a loaded machine): the profile's generous
deadline catches runaways, and the parsers' work is bounded by their size limits, which
the targets check by counting where counting is possible.
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from unittest import mock

from hypothesis import settings

_T = TypeVar("_T")
_E = TypeVar("_E", bound=BaseException)
DEV_FACTOR = 20


def examples(ci: int, **overrides: Any) -> settings:
    """``ci`` examples under the default (CI) profile, ``DEV_FACTOR`` times as many in dev."""
    factor = DEV_FACTOR if settings.get_current_profile_name() == "dev" else 1
    return settings(max_examples=ci * factor, **overrides)


@contextmanager
def bounded_memory(size: int, *, per_byte: int, constant: int) -> Iterator[None]:
    """Fail unless the block's peak Python allocation is ≤ per_byte × size + constant."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        if started:
            tracemalloc.stop()
    limit = per_byte * size + constant
    assert peak - base <= limit, f"allocated {peak - base} bytes for {size} input bytes (> {limit})"


def outcome(allowed: tuple[type[_E], ...], call: Callable[[], _T]) -> _T | _E:
    """The call's result, or the documented error it raised; anything else propagates and
    fails the property (hypothesis then shrinks the input and prints it)."""
    try:
        return call()
    except allowed as exc:
        return exc


@contextmanager
def reproducible_randomness(seed: int = 20260101) -> Iterator[None]:
    """``secrets`` seeded while seed inputs are made (keys, nonces, salts), so that a
    derandomized run mutates the same bytes on every machine and a failure reproduces."""
    seeded = random.Random(seed)
    with (
        mock.patch("secrets.token_bytes", lambda size: seeded.randbytes(size)),
        mock.patch("secrets.randbelow", lambda bound: seeded.randrange(bound)),
    ):
        yield
