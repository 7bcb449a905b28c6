"""``ggzy-bid opening-key`` and the dealer-free branch of ``share``, in-process against a small
stand-in of the platform's ceremony endpoints (interfaces E): what the holder's tool checks,
sends, refuses and prints. The real platform, with three real processes, is in
test_opening_key_ceremony.py."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from ggzy_bid import cli
from ggzy_bid import server as client_server
from ggzy_bid.commands import opening_key
from ggzy_core.gm import curve, dkg, sm2
from ggzy_core.gm.shamir import Share, seal_share

SECTION = "GGZY-2026-001-01"
NAMES = {1: "示范市公共资源交易中心", 2: "示范市住建局", 3: "示范市城投公司"}


@dataclass
class Reply:
    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return json.dumps(self.body).encode()

    def json(self) -> Any:
        return self.body


@dataclass
class Ceremony:
    """The platform's side, as E describes it, kept to what the tool can observe."""

    keys: dict[int, sm2.SM2PrivateKey]
    listed: dict[int, sm2.SM2PublicKey]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    threshold: int = 2
    deadline_ms: int = field(default_factory=lambda: int(time.time() * 1000) + 3_600_000)
    dealings: dict[int, dict[str, Any]] = field(default_factory=dict)
    verifications: dict[int, dict[str, Any]] = field(default_factory=dict)
    signatures: dict[int, str] = field(default_factory=dict)
    rescue_shares: list[str] = field(default_factory=list)

    def excluded(self) -> dict[int, str]:
        found = {}
        for document in self.verifications.values():
            for complaint in dkg.Verification.from_document(document).complaints:
                dealing = dkg.Dealing.from_document(self.dealings[complaint.against]["document"])
                if dkg.complaint_is_upheld(complaint, dealing.commitments):
                    found[complaint.against] = complaint.reason
        return found

    def qualified(self) -> list[dkg.Dealing]:
        excluded = self.excluded()
        return [
            dkg.Dealing.from_document(entry["document"])
            for dealer, entry in sorted(self.dealings.items())
            if dealer not in excluded
        ]

    def status(self) -> str:
        return "complete" if len(self.verifications) == len(self.listed) else "collecting"

    def state(self, you: int | None) -> dict[str, Any]:
        complete = self.status() == "complete"
        excluded = self.excluded()
        return {
            "ceremony": self.id,
            "section": SECTION,
            "status": self.status(),
            "threshold": self.threshold,
            "deadline": "2026-12-02T12:00:00+00:00",
            "deadline_ms": self.deadline_ms,
            "you": you,
            "holders": [
                {
                    "index": index,
                    "organisation": NAMES[index],
                    "credit_code": f"code-{index}",
                    "public_key_pem": key.to_pem().decode(),
                    "key_fingerprint": key.fingerprint(),
                    "dealt": index in self.dealings,
                    "verified": index in self.verifications,
                    "excluded": excluded.get(index),
                }
                for index, key in sorted(self.listed.items())
            ],
            "dealings": [self.dealings[dealer] for dealer in sorted(self.dealings)],
            "opening_key_pem": (
                dkg.public_key(d.commitments for d in self.qualified()).to_pem().decode()
                if complete
                else None
            ),
            "detail": "",
        }

    def answer(self, method: str, path: str, you: int | None, body: Any) -> Reply:
        base = f"/api/sections/{SECTION}/ceremony"
        if (method, path) == ("GET", base):
            return Reply(200, self.state(you))
        if (method, path) == ("POST", f"{base}/dealing") and you is not None:
            if you in self.dealings:
                return Reply(409, {"detail": "已分发 / already dealt"})
            self.dealings[you] = {"dealer": you, **body}
            return Reply(200, self.state(you))
        if (method, path) == ("POST", f"{base}/verification") and you is not None:
            if len(self.dealings) < len(self.listed):
                return Reply(409, {"detail": "等待 / waiting for the others to deal"})
            self.verifications[you] = body["document"]
            self.signatures[you] = body["signature"]
            return Reply(200, self.state(you))
        return self.hall(method, path, you, body)

    def hall(self, method: str, path: str, you: int | None, body: Any) -> Reply:
        if (method, path) == ("GET", f"/api/halls/{SECTION}"):
            return Reply(200, {"stage": "decryption", "rescue_started": True})
        if (method, path) == ("GET", f"/api/halls/{SECTION}/share") and you is not None:
            dealings = [
                {
                    "dealer": d.dealer,
                    "sealed_share": d.sealed[you].hex(),
                    "commitments": [curve.point_to_hex(p) for p in d.commitments],
                }
                for d in self.qualified()
            ]
            return Reply(
                200, {"index": you, "mode": "dkg", "sealed_share": "", "dealings": dealings}
            )
        if (method, path) == ("POST", f"/api/halls/{SECTION}/share"):
            self.rescue_shares.append(body["share"])
            return Reply(200, {"rescued": 0, "detail": ""})
        return Reply(404, {"detail": "未找到 / not found"})


@pytest.fixture
def ceremony() -> Ceremony:
    keys = {index: sm2.generate_private_key() for index in (1, 2, 3)}
    return Ceremony(keys=keys, listed={i: k.public_key() for i, k in keys.items()})


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def holder(
    ceremony: Ceremony,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Run]:
    """``holder(index, *args)`` runs ``ggzy-bid *args --key <holder's key>`` as that holder
    (index None: an organisation that holds no share); returns (exit, stdout, stderr)."""

    def run(
        index: int | None, *args: str, key: sm2.SM2PrivateKey | None = None, keyless: bool = False
    ) -> Any:
        class Platform:
            headers: dict[str, str] = {}

            def request(self, method: str, url: str, **kwargs: Any) -> Reply:
                return ceremony.answer(method, urlsplit(url).path, index, kwargs.get("json"))

        monkeypatch.setattr(client_server.requests, "Session", Platform)
        chosen = key or ceremony.keys[index or 1]
        path = tmp_path / f"holder-{index}.pem"
        path.write_bytes(chosen.to_pem())
        key_args = [] if keyless else ["--key", str(path)]
        code = cli.main([*args, *key_args, "--server", "http://p.test", "--token", "t"])
        out, err = capsys.readouterr()
        return code, out, err

    monkeypatch.setattr(opening_key, "sleep", lambda seconds: None)
    yield run


def ceremony_args(*extra: str) -> tuple[str, ...]:
    return ("opening-key", "ceremony", "--section", SECTION, *extra)


def sub_shares_of(ceremony: Ceremony) -> list[str]:
    """Every sub-share dealt, as hex (what must never be printed)."""
    found = []
    for entry in ceremony.dealings.values():
        dealing = dkg.Dealing.from_document(entry["document"])
        for index, key in ceremony.keys.items():
            share = dkg.open_sub_share(dealing, index, key)
            found += [share.to_bytes().hex(), f"{share.value:064x}", str(share.value)]
    return found


def test_three_holders_generate_the_key_one_after_another_and_resume(
    ceremony: Ceremony, holder: Run
) -> None:
    first = holder(1, *ceremony_args("--wait", "0"))
    second = holder(2, *ceremony_args("--wait", "0"))
    third = holder(3, *ceremony_args("--wait", "0"))
    again = [holder(index, *ceremony_args("--wait", "0")) for index in (1, 2)]

    assert first[0] == 3 and second[0] == 3
    assert "仍在等待" in first[2] and "still waiting for" in first[2]
    assert NAMES[2] in first[2] and NAMES[3] in first[2] and NAMES[1] not in first[2]
    assert "北京时间" in first[2] and "Run the same command again" in first[2]
    assert third[0] == 0 and "your part is done" in third[2]
    assert [code for code, _, _ in again] == [0, 0]
    assert ceremony.status() == "complete" and sorted(ceremony.dealings) == [1, 2, 3]
    key = dkg.public_key(d.commitments for d in ceremony.qualified())
    assert key.fingerprint() in again[1][1]
    printed = "".join(out + err for _, out, err in (first, second, third, *again))
    assert not [secret for secret in sub_shares_of(ceremony) if secret in printed]


def test_a_holder_waits_for_the_others_and_verifies_every_dealing(
    ceremony: Ceremony, holder: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls = []

    def the_others_act(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 2:  # while the first holder waits, the others deal and verify
            for index in (2, 3):
                deal_for(ceremony, index)
        if len(polls) == 3:
            for index in (2, 3):
                ceremony.verifications[index] = empty_verification(ceremony, index)

    monkeypatch.setattr(opening_key, "sleep", the_others_act)

    code, out, err = holder(1, *ceremony_args())

    assert code == 0 and ceremony.status() == "complete"
    assert f"waiting for {NAMES[2]} (2)、{NAMES[3]} (3) to deal" in err
    assert f"waiting for {NAMES[2]} (2)、{NAMES[3]} (3) to verify" in err
    assert err.count("waiting for") == 2  # said when it changes, not at every poll
    assert polls[:2] == [2.0, 3.0] and all(s <= 10 for s in polls)
    assert ceremony.verifications[1]["complaints"] == []
    assert "已完成" in out and "complete" in out
    signature = bytes.fromhex(ceremony.signatures[1])
    message = dkg.verification_message(ceremony.verifications[1])
    assert ceremony.listed[1].verify(message, signature)


def deal_for(ceremony: Ceremony, index: int, *, corrupt: int | None = None) -> None:
    dealing = dkg.deal(
        section=SECTION,
        ceremony=ceremony.id,
        dealer=index,
        threshold=ceremony.threshold,
        recipients=ceremony.listed,
    )
    document = dealing.document()
    if corrupt is not None:
        # A sub-share that decrypts but lies off the dealer's polynomial.
        own = dkg.open_sub_share(dealing, corrupt, ceremony.keys[corrupt])
        wrong = Share(corrupt, (own.value + 1) % curve.N)
        document["sealed"][str(corrupt)] = seal_share(wrong, ceremony.listed[corrupt]).hex()
    signature = ceremony.keys[index].sign(dkg.dealing_message(document)).hex()
    ceremony.dealings[index] = {"dealer": index, "document": document, "signature": signature}


def empty_verification(ceremony: Ceremony, index: int) -> dict[str, Any]:
    return dkg.Verification(
        section=SECTION, ceremony=ceremony.id, holder=index, complaints=()
    ).document()


def test_it_complains_about_a_sub_share_that_fails_its_commitment(
    ceremony: Ceremony, holder: Run
) -> None:
    deal_for(ceremony, 3, corrupt=1)
    deal_for(ceremony, 2)

    code, out, _ = holder(1, *ceremony_args("--wait", "0"))

    assert code == 0
    complaints = ceremony.verifications[1]["complaints"]
    assert [(c["against"], c["reason"]) for c in complaints] == [(3, "fails_commitment")]
    revealed = Share.from_bytes(bytes.fromhex(complaints[0]["revealed_share"]))
    dealing = dkg.Dealing.from_document(ceremony.dealings[3]["document"])
    assert revealed.index == 1 and not dkg.sub_share_is_valid(revealed, dealing.commitments)
    assert ceremony.excluded() == {3: "fails_commitment"}
    assert f"complaint against {NAMES[3]} (3)" in out and revealed.to_bytes().hex() not in out


def test_it_complains_about_a_sub_share_that_does_not_decrypt(
    ceremony: Ceremony, holder: Run
) -> None:
    deal_for(ceremony, 2)
    deal_for(ceremony, 3)
    entry = ceremony.dealings[2]
    entry["document"]["sealed"]["1"] = seal_share(Share(1, 5), ceremony.listed[3]).hex()
    entry["signature"] = ceremony.keys[2].sign(dkg.dealing_message(entry["document"])).hex()

    assert holder(1, *ceremony_args("--wait", "0"))[0] == 0

    complaints = ceremony.verifications[1]["complaints"]
    assert complaints == [{"against": 2, "reason": "undecryptable", "revealed_share": None}]


def test_it_stops_without_verifying_when_a_dealing_is_not_signed_by_its_dealer(
    ceremony: Ceremony, holder: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    deal_for(ceremony, 2)
    deal_for(ceremony, 3)
    ceremony.dealings[3]["signature"] = ceremony.dealings[2]["signature"]

    code, _, err = holder(1, *ceremony_args("--wait", "0"))

    assert code == 2 and 1 not in ceremony.verifications
    assert "not signed by that holder's key" in err and "持有人 3" in err


def test_it_refuses_an_organisation_that_holds_no_share(
    ceremony: Ceremony, holder: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = holder(None, *ceremony_args())

    assert code == 2 and not ceremony.dealings
    assert "本单位不是" in err and "holds no share of section" in err
    assert err.count("\n") == 1


def test_it_refuses_a_key_other_than_the_one_listed_for_the_holder(
    ceremony: Ceremony, holder: Run
) -> None:
    code, _, err = holder(2, *ceremony_args(), key=sm2.generate_private_key())

    assert code == 2 and not ceremony.dealings
    assert ceremony.listed[2].fingerprint() in err and "is not the key" in err


def test_it_refuses_a_listed_key_that_does_not_match_its_fingerprint(
    ceremony: Ceremony, holder: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ceremony.state

    def swapped(you: int | None) -> dict[str, Any]:
        state = original(you)
        state["holders"][2]["public_key_pem"] = (
            sm2.generate_private_key().public_key().to_pem().decode()
        )
        return state

    monkeypatch.setattr(ceremony, "state", swapped)

    code, _, err = holder(1, *ceremony_args())

    assert code == 2 and not ceremony.dealings
    assert "does not match its fingerprint" in err


def test_status_shows_each_holder_and_never_needs_a_key(ceremony: Ceremony, holder: Run) -> None:
    deal_for(ceremony, 3)

    code, out, _ = holder(3, "opening-key", "status", "--section", SECTION, keyless=True)

    assert code == 0
    lines = out.splitlines()
    assert "collecting" in lines[0] and "threshold 2" in lines[0]
    assert NAMES[3] in lines[3] and "dealt" in lines[3] and "← 本单位 / you" in lines[3]
    assert "not started" in lines[1]


def completed(ceremony: Ceremony) -> None:
    for index in (1, 2, 3):
        deal_for(ceremony, index)
    for index in (1, 2, 3):
        ceremony.verifications[index] = empty_verification(ceremony, index)


def test_share_gives_the_sum_of_the_checked_sub_shares_for_a_dkg_section(
    ceremony: Ceremony, holder: Run
) -> None:
    completed(ceremony)

    code, out, _ = holder(2, "share", "--section", SECTION)

    assert code == 0 and len(ceremony.rescue_shares) == 1
    given = Share.from_bytes(bytes.fromhex(ceremony.rescue_shares[0]))
    commitments = [d.commitments for d in ceremony.qualified()]
    assert given.index == 2 and dkg.holder_share_is_valid(given, commitments)
    assert ceremony.rescue_shares[0] not in out


def test_share_names_the_dealer_whose_sub_share_fails_and_gives_nothing(
    ceremony: Ceremony, holder: Run
) -> None:
    completed(ceremony)
    deal_for(ceremony, 3, corrupt=2)  # changed on the platform after the ceremony

    code, _, err = holder(2, "share", "--section", SECTION)

    assert code == 2 and ceremony.rescue_shares == []
    assert "holder 3 fails its commitments" in err and "持有人 3" in err


def test_it_says_when_the_ceremony_has_not_been_started(
    ceremony: Ceremony, holder: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ceremony.state
    monkeypatch.setattr(ceremony, "state", lambda you: {**original(you), "ceremony": None})

    step = holder(1, *ceremony_args())
    status = holder(1, "opening-key", "status", "--section", SECTION, keyless=True)

    assert step[0] == 2 and not ceremony.dealings
    assert "尚未发起" in step[2] and "has not been started" in step[2]
    assert status[0] == 0 and "has not been started" in status[1]


def test_a_failed_ceremony_says_the_tenderee_may_restart_or_choose_the_dealt_key(
    ceremony: Ceremony, holder: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ceremony.state
    monkeypatch.setattr(ceremony, "state", lambda you: {**original(you), "status": "failed"})

    code, out, err = holder(2, *ceremony_args())

    assert code == 2 and not ceremony.dealings
    assert "failed" in out.splitlines()[0]
    assert "restart it" in err and "choose the dealt key" in err and "重新发起" in err
