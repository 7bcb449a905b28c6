"""The demo's evaluation to try: seven demo experts (accounts, authenticators, signing keys),
`demo_code` for their current code, and `demo_evaluation`, which after the demo opening
draws the committee, opens the evaluation and plays every member but expert1."""

from __future__ import annotations

import datetime as dt
from base64 import b32encode
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from accounts.models import Organisation, Person, Role
from bidding.models import Bid
from config.management.commands.demo_data import (
    DEMO_PROJECT,
    DEMO_SPECIALTY,
    EXPERTS,
    demo_totp_key,
)
from experts import evaluation as evaluations
from experts import scoring
from experts.models import Draw, Evaluation, EvaluationStatus, Expert, Score, Specialty
from ggzy_core.evaluation import report_message
from ggzy_core.gm import sm2
from realtime.models import Hall, HallStage
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder
from tests.experts.evaluation_world import close_hall
from tests.realtime.conftest import Opening, eager_celery  # noqa: F401  # a fixture
from tests.security.world import centre_staff_group
from tests.trading.conftest import Holders
from trading import chronograph
from trading.models import Section, SectionStatus

# Committed for real: the hall's decryption and the calls to the drawn run after commit. An
# earlier transactional test's flush removes the migrations' rows: the group is made again.
pytestmark = pytest.mark.django_db(transaction=True)
USERNAMES = [username for username, _name in EXPERTS]
ROAD_EXPERTS = {"expert1", "expert2", "expert3", "expert4", "expert5"}


@pytest.fixture(autouse=True)
def staff_group(transactional_db: None) -> None:
    centre_staff_group()


@pytest.fixture
def demo_var(settings: Any, tmp_path: Path) -> Path:
    """The demo runs in DEBUG (pytest-django turns it off) with its own var directory."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return Path(settings.VAR_DIR)


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def demo_opening() -> Section:
    return Section.objects.filter(project__code=DEMO_PROJECT).order_by("pk")[1]


def counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "experts": Expert.objects.count(),
        "devices": TOTPDevice.objects.count(),
        "specialties": Specialty.objects.count(),
        "ledger": LedgerEntry.objects.count(),
    }


def key_of(var: Path, username: str) -> sm2.SM2PrivateKey:
    return sm2.load_private_key((var / "demo-keys" / f"{username}.pem").read_bytes())


def host_the_demo_opening(var: Path) -> None:
    """The demo opening as `make demo` makes it, hosted to the end by 'centre': each bidder
    unlocks its sealed bid (var/demo-bids) with its demo key and confirms the reading."""
    section = demo_opening()
    chronograph.apply_time_events(section.pk)
    bidders, bids, files = [], [], []
    for username in ("bidder1", "bidder2", "bidder3"):
        person = Person.objects.get(username=username)
        assert person.organisation is not None
        bidders.append(Bidder(person.organisation, person, key_of(var, username)))
        bids.append(Bid.objects.get(section=section, organisation=person.organisation))
        files.append((var / "demo-bids" / f"{username}.gbid").read_bytes())
    centre, regulator, tenderee = (
        Organisation.objects.get(people__username=u) for u in ("centre", "regulator", "tenderee")
    )
    holders = Holders(centre, regulator, tenderee, keys={})
    hall = Hall.objects.get(section=section)
    close_hall(
        Opening(section, hall, bidders, bids, files, Person.objects.get(username="centre"), holders)
    )
    hall.refresh_from_db()
    assert hall.stage == HallStage.CLOSED


@pytest.fixture
def closed(demo_var: Path, eager_celery: None) -> Iterator[Path]:  # noqa: F811
    """The demo data, and the demo opening hosted to the end a second after its time (the
    decryption tasks run in-process)."""
    run("demo_data")
    with time_machine.travel(demo_opening().bid_deadline + dt.timedelta(seconds=1), tick=False):
        host_the_demo_opening(demo_var)
        yield demo_var


def the_evaluation() -> Evaluation:
    return Evaluation.objects.get(section=demo_opening())


# --- demo_data: the library -------------------------------------------------------------


def test_demo_data_makes_seven_experts_with_accounts_devices_and_keys(demo_var: Path) -> None:
    run("demo_data")
    assert len(USERNAMES) == 7
    this_year = dt.date.today().year
    for username in USERNAMES:
        person = Person.objects.get(username=username)
        assert person.role == Role.EXPERT
        assert person.check_password("ggzy-demo-2026")
        expert = Expert.objects.get(person=person)
        assert expert.practice_since <= this_year - 8
        assert expert.phone == f"138000000{int(username.removeprefix('expert')):02d}"
        assert expert.region == "320100"
        device = second_factor.confirmed_device(person)
        assert device is not None and device.key == demo_totp_key(username)
        path = demo_var / "demo-keys" / f"{username}.pem"
        assert path.stat().st_mode & 0o777 == 0o600
        assert key_of(demo_var, username).public_key().fingerprint() == expert.key_fingerprint
    road = Expert.objects.filter(specialties__code__startswith=DEMO_SPECIALTY)
    assert set(road.values_list("person__username", flat=True)) == ROAD_EXPERTS
    assert Specialty.objects.get(code=DEMO_SPECIALTY).name == "道路桥梁"


def test_a_second_run_creates_nothing(demo_var: Path) -> None:
    run("demo_data")
    before = counts()
    keys = {u: (demo_var / "demo-keys" / f"{u}.pem").read_bytes() for u in USERNAMES}
    devices = dict(TOTPDevice.objects.values_list("user__username", "key"))
    assert "already present" in run("demo_data")
    assert counts() == before
    assert {u: (demo_var / "demo-keys" / f"{u}.pem").read_bytes() for u in USERNAMES} == keys
    assert dict(TOTPDevice.objects.values_list("user__username", "key")) == devices


def test_the_secrets_are_fixed_per_expert_and_differ_between_experts() -> None:
    assert demo_totp_key("expert1") == demo_totp_key("expert1")
    assert len({demo_totp_key(username) for username in USERNAMES}) == len(USERNAMES)
    assert len(bytes.fromhex(demo_totp_key("expert1"))) == 20


def test_the_logins_show_each_experts_secret_key_and_how_to_get_a_code(demo_var: Path) -> None:
    run("demo_data")
    out = run("demo_data", "--print-logins")
    for username in USERNAMES:
        secret = b32encode(bytes.fromhex(demo_totp_key(username))).decode()
        assert secret in out
        assert f"SM2 key: {demo_var / 'demo-keys' / f'{username}.pem'}" in out
    assert "manage.py demo_code expert1" in out
    assert "make demo-evaluation" not in out  # the opening is still to come


# --- demo_code ------------------------------------------------------------------------------


def test_demo_code_prints_a_code_the_device_accepts(demo_var: Path) -> None:
    run("demo_data")
    code = run("demo_code", "expert2").strip()
    assert len(code) == 6 and code.isdigit()
    person = Person.objects.get(username="expert2")
    device = second_factor.verify(person=person, code=code)
    assert device.user_id == person.pk


def test_demo_code_refuses_other_people_and_non_demo_secrets(demo_var: Path, settings: Any) -> None:
    run("demo_data")
    for username in ("bidder1", "admin", "nobody"):
        with pytest.raises(CommandError, match="is not a demo expert"):
            run("demo_code", username)
    # An expert whose authenticator was replaced by one of their own: its code is theirs.
    expert = Person.objects.get(username="expert3")
    second_factor.reset(person=expert, actor=Person.objects.get(username="admin"))
    second_factor.enrol_confirmed(expert)
    with pytest.raises(CommandError, match="is not a demo expert"):
        run("demo_code", "expert3")
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("demo_code", "expert1")


# --- demo_evaluation ------------------------------------------------------------------------


def test_before_the_hall_closed_it_refuses_and_says_how_to_host_it(demo_var: Path) -> None:
    run("demo_data")
    section = demo_opening()
    with pytest.raises(CommandError, match="has not closed yet") as refused:
        run("demo_evaluation")
    assert f"/halls/{section.code}/" in str(refused.value) and "'centre'" in str(refused.value)
    with time_machine.travel(section.bid_deadline + dt.timedelta(seconds=1), tick=False):
        chronograph.apply_time_events(section.pk)
        with pytest.raises(CommandError, match="has not closed yet") as under_way:
            run("demo_evaluation")
    assert "sign_in" in str(under_way.value)
    assert not Draw.objects.exists() and not Evaluation.objects.exists()


def test_after_the_hall_closed_it_opens_the_evaluation_with_expert1_and_the_others_done(
    closed: Path,
) -> None:
    out = run("demo_evaluation")
    evaluation = the_evaluation()
    assert evaluation.status == EvaluationStatus.SCORING
    members = {m.person.username: m for m in evaluation.members.select_related("person")}
    assert set(members) == ROAD_EXPERTS
    for username in ROAD_EXPERTS:
        assert username in out
    bids = list(evaluation.bids.order_by("number"))
    assert len(bids) == 3
    user = members.pop("expert1")
    assert user.submitted_at is None and not Score.objects.filter(member=user).exists()
    for member in members.values():
        assert member.submitted_at is not None
        scores = dict(Score.objects.filter(member=member).values_list("bid__number", "value"))
        assert scores == {bid.number: bid.price for bid in bids}
    assert sorted(m.vote_id == user.pk for m in members.values()) == [False, False, True, True]
    assert evaluation.leader_id is None
    assert f"/experts/evaluations/{evaluation.pk}/" in out
    assert "demo_code expert1" in out and "Submit my scores" in out


def test_running_it_again_while_expert1_scores_changes_nothing(closed: Path) -> None:
    run("demo_evaluation")
    before = (LedgerEntry.objects.count(), Score.objects.count(), Draw.objects.count())
    out = run("demo_evaluation")
    assert (LedgerEntry.objects.count(), Score.objects.count(), Draw.objects.count()) == before
    assert "scoring" in out


def test_when_expert1_votes_for_another_the_others_still_elect_expert1(closed: Path) -> None:
    run("demo_evaluation")
    evaluation = the_evaluation()
    expert1 = Person.objects.get(username="expert1")
    other = evaluation.members.get(person__username="expert2")
    evaluations.leader_vote(evaluation=evaluation, actor=expert1, candidate=other)
    run("demo_evaluation")
    evaluation.refresh_from_db()
    assert evaluation.leader is not None and evaluation.leader.person == expert1


def score_and_conclude_as_expert1(evaluation: Evaluation) -> None:
    expert1 = Person.objects.get(username="expert1")
    for bid in evaluation.bids.order_by("number"):
        assert bid.price is not None
        scoring.score_set(
            evaluation=evaluation,
            actor=expert1,
            bid=bid,
            values={0: bid.price + Decimal("1000.00")},
        )
    me = evaluation.members.get(person=expert1)
    evaluations.leader_vote(evaluation=evaluation, actor=expert1, candidate=me)
    scoring.scores_submit(evaluation=evaluation, actor=expert1)
    evaluations.conclude(evaluation=evaluation, actor=expert1)


def test_after_expert1_concluded_the_others_sign_and_expert1s_signature_finishes_it(
    closed: Path,
) -> None:
    run("demo_evaluation")
    evaluation = the_evaluation()
    score_and_conclude_as_expert1(evaluation)
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SIGNING
    out = run("demo_evaluation")
    signed = dict(evaluation.members.values_list("person__username", "signed_at"))
    assert signed.pop("expert1") is None
    assert set(signed) == ROAD_EXPERTS - {"expert1"} and all(signed.values())
    assert str(closed / "demo-keys" / "expert1.pem") in out
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SIGNING
    assert demo_opening().status == SectionStatus.EVALUATION

    message = report_message(evaluation.report_sm3, agrees=True, dissent="")
    evaluations.report_sign(
        evaluation=evaluation,
        actor=Person.objects.get(username="expert1"),
        agrees=True,
        signature=key_of(closed, "expert1").sign(message),
    )
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.FINISHED
    assert demo_opening().status == SectionStatus.PUBLICITY
    done = run("demo_evaluation")
    assert f"/experts/evaluations/{evaluation.pk}/report/?format=pdf" in done
    assert "publicity" in done


def test_once_the_opening_closed_the_logins_point_to_the_evaluation(closed: Path) -> None:
    before = run("demo_data", "--print-logins")
    assert "is over" in before and "make demo-evaluation" in before
