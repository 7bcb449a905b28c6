"""The per-process record of each hall's latest sequence number: one database question per
hall and ``max_age`` serves every socket's heartbeat."""

from __future__ import annotations

from asgiref.sync import async_to_sync

from realtime.known_sequences import KnownSequences


def test_it_asks_the_database_once_for_many_heartbeats_within_max_age() -> None:
    known = KnownSequences(max_age=2.5)
    asked: list[int] = []

    async def ask(hall_id: int) -> int:
        asked.append(hall_id)
        return 7

    async def heartbeats() -> list[int]:
        return [await known.latest(1, ask) for _ in range(500)]

    assert async_to_sync(heartbeats)() == [7] * 500
    assert asked == [1]


def test_it_asks_again_after_max_age_and_so_notices_a_broadcast_lost_to_the_process() -> None:
    clock = [100.0]
    known = KnownSequences(max_age=2.5, now=lambda: clock[0])
    stored = {1: 3}

    async def ask(hall_id: int) -> int:
        return stored[hall_id]

    assert async_to_sync(known.latest)(1, ask) == 3
    stored[1] = 4  # committed, its broadcast lost on the way to this process
    clock[0] += 2.4
    assert async_to_sync(known.latest)(1, ask) == 3
    clock[0] += 0.1
    assert async_to_sync(known.latest)(1, ask) == 4


def test_a_broadcast_raises_the_known_number_without_asking() -> None:
    known = KnownSequences(max_age=2.5)

    async def ask(hall_id: int) -> int:
        return 2

    async def scenario() -> int:
        await known.latest(5, ask)
        known.saw(5, 9)
        known.saw(5, 8)  # a late, older broadcast does not lower it
        return await known.latest(5, ask)

    assert async_to_sync(scenario)() == 9


def test_a_failed_question_is_asked_again_at_the_next_heartbeat() -> None:
    known = KnownSequences(max_age=2.5)
    answers: list[int | Exception] = [ConnectionError("database restarting"), 6]

    async def ask(hall_id: int) -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    try:
        async_to_sync(known.latest)(1, ask)
    except ConnectionError:
        pass
    else:
        raise AssertionError("the database's error should reach the heartbeat")
    assert async_to_sync(known.latest)(1, ask) == 6
