"""Misbehaviour on request (``POST /_control/faults``), to prove the platform survives it.

Each kind of event has one fault at a time: a mode, optionally for the next ``times``
events only, and its parameters.

payout     refuse  — answer a failed payout with ``reason`` (no money moves)
           timeout — make the payout, then wait ``seconds`` before answering (the money
                     moved but the platform does not hear it: it must ask again, same key)
           error   — answer 500 and do nothing
callback   twice   — deliver each callback two times (each signed afresh)
           drop    — never deliver (the line is still on the statement)
           delay   — wait ``seconds`` before the first delivery
statement  error   — answer 500 to statement requests
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

MODES = {
    "payout": ("refuse", "timeout", "error"),
    "callback": ("twice", "drop", "delay"),
    "statement": ("error",),
}
MAX_SECONDS = 600.0


@dataclass
class Fault:
    mode: str | None = None
    times: int | None = None  # None: until reset
    seconds: float = 0.0
    reason: str = "simulated refusal"


@dataclass(frozen=True)
class Active:
    mode: str
    seconds: float
    reason: str


class Faults:
    def __init__(self) -> None:
        self._faults = {kind: Fault() for kind in MODES}
        self._lock = threading.Lock()

    def set(self, request: dict[str, Any]) -> None:
        """Replace the faults named in ``request``; ``{kind: null}`` clears one."""
        parsed = {kind: _parse(kind, spec) for kind, spec in request.items()}
        with self._lock:
            self._faults.update(parsed)

    def reset(self) -> None:
        with self._lock:
            self._faults = {kind: Fault() for kind in MODES}

    def take(self, kind: str) -> Active | None:
        """The fault to apply to this event, counting it down."""
        with self._lock:
            fault = self._faults[kind]
            if fault.mode is None or fault.times == 0:
                return None
            if fault.times is not None:
                fault.times -= 1
            return Active(fault.mode, fault.seconds, fault.reason)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {kind: asdict(fault) for kind, fault in self._faults.items()}


def _parse(kind: str, spec: Any) -> Fault:
    if kind not in MODES:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(MODES)}")
    if spec is None:
        return Fault()
    if not isinstance(spec, dict) or spec.get("mode") not in MODES[kind]:
        raise ValueError(f'{kind}: give {{"mode": one of {", ".join(MODES[kind])}}}')
    times = spec.get("times")
    seconds = spec.get("seconds", 0)
    reason = spec.get("reason", "simulated refusal")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise ValueError(f"{kind}.times: a positive whole number, or null for until reset")
    # Request bodies are read with decimals for numbers (money is never a float).
    if not isinstance(seconds, int | float | Decimal) or not 0 <= seconds <= MAX_SECONDS:
        raise ValueError(f"{kind}.seconds: 0 to {MAX_SECONDS:g}")
    seconds = float(seconds)
    if not isinstance(reason, str) or len(reason) > 200:
        raise ValueError(f"{kind}.reason: text up to 200 characters")
    return Fault(spec["mode"], times, float(seconds), reason)
