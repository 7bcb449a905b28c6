"""ggzy.files: a file written inside a transaction stays only if the transaction commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from ggzy import files


class Boom(Exception):
    pass


def stored(settings: Any) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_a_file_written_in_a_block_that_raises_is_deleted(settings: Any) -> None:
    seen: list[list[str]] = []
    with pytest.raises(Boom), files.atomic():
        files.save(default_storage, "a/one.txt", ContentFile(b"one"))
        seen.append(stored(settings))
        raise Boom
    assert seen == [["a/one.txt"]]  # it was written, and then removed
    assert stored(settings) == []


@pytest.mark.django_db
def test_a_file_written_in_a_block_that_ends_normally_stays(settings: Any) -> None:
    with files.atomic():
        name = files.save(default_storage, "a/one.txt", ContentFile(b"one"))
    assert stored(settings) == [name]


@pytest.mark.django_db
def test_an_inner_block_that_fails_loses_its_files_and_the_outer_keeps_its_own(
    settings: Any,
) -> None:
    with files.atomic():
        kept = files.save(default_storage, "a/outer.txt", ContentFile(b"outer"))
        with pytest.raises(Boom), files.atomic():
            files.save(default_storage, "a/inner.txt", ContentFile(b"inner"))
            raise Boom
    assert stored(settings) == [kept]


@pytest.mark.django_db
def test_an_outer_block_that_fails_removes_the_files_of_the_inner_blocks_that_succeeded(
    settings: Any,
) -> None:
    with pytest.raises(Boom), files.atomic():
        with files.atomic():
            files.save(default_storage, "a/inner.txt", ContentFile(b"inner"))
        assert stored(settings) == ["a/inner.txt"]
        raise Boom
    assert stored(settings) == []


@pytest.mark.django_db
def test_writing_outside_a_files_block_is_refused(settings: Any) -> None:
    with pytest.raises(RuntimeError, match=r"files\.atomic\(\)"):
        files.save(default_storage, "a/loose.txt", ContentFile(b"loose"))
    assert stored(settings) == []


@pytest.mark.django_db(transaction=True)
def test_a_files_block_inside_a_plain_transaction_is_refused(settings: Any) -> None:
    """An enclosing plain atomic() could roll back after the block and keep the file."""
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic(), files.atomic():
        files.save(default_storage, "a/nested.txt", ContentFile(b"nested"))
    assert stored(settings) == []


@pytest.mark.django_db(transaction=True)
def test_a_commit_callback_that_fails_after_the_commit_keeps_the_committed_files(
    settings: Any,
) -> None:
    def fails() -> None:
        raise Boom

    with pytest.raises(Boom), files.atomic():
        name = files.save(default_storage, "a/committed.txt", ContentFile(b"committed"))
        transaction.on_commit(fails)
    assert stored(settings) == [name]
