"""The dealer-free opening key (``ggzy_core.gm.dkg``): what each step costs, against the SM2
encryption of one share (``shamir.seal_share``, what the dealt mode does per holder) measured
in the same run.

Steps: one holder's **deal** (t commitments, n sealed sub-shares, the document), one holder's
**verify** (parse and check n dealings, open and check its n sub-shares), the platform's
**assembly** (parse and check n dealings, the public key, every holder share's check as at a
rescue). Medians of ``--rounds`` runs; the ratio is the step's time over one share's sealing.

    .venv/bin/python -m bench.bench_dkg [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from ggzy_core.gm import curve, dkg, shamir, sm2
from ggzy_core.gm.shamir import Share

SECTION = "GGZY-BENCH-0001-01"
SIZES = ((3, 2), (7, 4))


def _median_seconds(step: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ceremony(n: int, t: int) -> dict[str, Any]:
    keys = {j: sm2.generate_private_key() for j in range(1, n + 1)}
    public = {j: key.public_key() for j, key in keys.items()}
    ceremony = str(uuid.uuid4())
    documents = [
        dkg.deal(
            section=SECTION, ceremony=ceremony, dealer=i, threshold=t, recipients=public
        ).document()
        for i in keys
    ]
    return {"keys": keys, "public": public, "ceremony": ceremony, "documents": documents}


def _parse(state: dict[str, Any], t: int) -> list[dkg.Dealing]:
    dealings = [dkg.Dealing.from_document(doc) for doc in state["documents"]]
    for dealing in dealings:
        dkg.check_dealing(
            dealing,
            section=SECTION,
            ceremony=state["ceremony"],
            holders=set(state["keys"]),
            threshold=t,
        )
    return dealings


def measure(n: int, t: int, rounds: int) -> dict[str, float]:
    state = _ceremony(n, t)
    holder = 1
    dealings = _parse(state, t)
    qualified = [dealing.commitments for dealing in dealings]
    shares = [
        dkg.combine_sub_shares(dkg.open_sub_share(d, j, state["keys"][j]) for d in dealings)
        for j in state["keys"]
    ]

    def deal() -> None:
        dkg.deal(
            section=SECTION,
            ceremony=state["ceremony"],
            dealer=holder,
            threshold=t,
            recipients=state["public"],
        ).document()

    def verify() -> None:
        review = dkg.review_dealings(_parse(state, t), holder=holder, key=state["keys"][holder])
        if review.complaints:  # a bench of a failing ceremony measures nothing useful
            raise RuntimeError("a dealing failed its commitments")

    def assemble() -> None:
        parsed = _parse(state, t)
        dkg.public_key(dealing.commitments for dealing in parsed)
        if not all(dkg.holder_share_is_valid(s, qualified) for s in shares):
            raise RuntimeError("a holder share failed the qualified commitments")

    share = Share(1, 12345)
    key = state["public"][holder]
    seal = _median_seconds(lambda: shamir.seal_share(share, key), max(rounds, 9))
    return {
        "seal_one_share_ms": seal * 1000,
        "deal_ms": _median_seconds(deal, rounds) * 1000,
        "verify_ms": _median_seconds(verify, rounds) * 1000,
        "assemble_ms": _median_seconds(assemble, rounds) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    curve.warm_up()  # a server and a long-running tool both have the k·G table
    results = {f"n={n},t={t}": measure(n, t, args.rounds) for n, t in SIZES}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("step                    time      ratio to sealing one share (SM2 encryption)")
    for size, row in results.items():
        base = row["seal_one_share_ms"]
        print(f"{size}   seal one share {base:8.1f} ms   1.0x (baseline)")
        for step in ("deal", "verify", "assemble"):
            value = row[f"{step}_ms"]
            print(f"{size}   {step:14} {value:8.1f} ms  {value / base:5.1f}x")


if __name__ == "__main__":
    main()
