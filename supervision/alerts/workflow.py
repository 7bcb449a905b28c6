"""The case an alert opens: open → investigating → closed with a conclusion. Each step is
an ``AlertStep`` and a ledger entry written in the same transaction [E49]."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger
from supervision.alerts.models import Alert, AlertStatus, AlertStep

# The one transition table: (from, to) → the ledger action of the step.
TRANSITIONS: dict[tuple[str, str], str] = {
    (AlertStatus.OPEN, AlertStatus.INVESTIGATING): "alerts.alert.investigating",
    (AlertStatus.INVESTIGATING, AlertStatus.CLOSED): "alerts.alert.closed",
}
# A note changes no status; it may be added while the case is not closed.
NOTE_ACTION = "alerts.alert.noted"
NOTE_STATUSES = (AlertStatus.OPEN, AlertStatus.INVESTIGATING)
MAX_TEXT = 4000

# What to do next from each status: (Chinese, English).
_NEXT_STEP = {
    AlertStatus.OPEN: ("请先开始调查", "start the investigation first"),
    AlertStatus.INVESTIGATING: ("请填写结论后结案", "close it with a conclusion"),
    AlertStatus.CLOSED: ("案件已结案，无需再操作", "the case is closed, nothing more to do"),
}


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("section").get(pk=alert.pk)


def _text(value: str, *, field: str, required_zh: str, required_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"{required_zh} / {required_en}", code="required", field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(
            f"内容过长（{len(text)} 字），最多 {MAX_TEXT} 字：请精简后再提交 / The text is "
            f"too long ({len(text)} characters, at most {MAX_TEXT}): shorten it and submit again",
            code="invalid",
            field=field,
        )
    return text


def _step(
    alert: Alert, *, action: str, actor: Person, source: str, target: str, note: str
) -> AlertStep:
    entry = ledger.append(
        action,
        actor=actor,
        target=alert,
        data={
            "alert": alert.pk,
            "rule": alert.rule,
            "section": alert.section.code if alert.section else None,
            "from": source,
            "to": target,
            # The text stays on the step, behind the alert's access rules; the ledger fixes
            # it by its SM3 (a note may name people).
            "note_sm3": sm3_hex(note.encode()) if note else None,
        },
    )
    return AlertStep.objects.create(
        alert=alert,
        person=actor,
        at=clock.now(),
        source=source,
        target=target,
        note=note,
        ledger_sequence=entry.sequence,
    )


def _move(alert: Alert, target: str, *, actor: Person, note: str = "") -> Alert:
    current = _locked(alert)
    action = TRANSITIONS.get((current.status, target))
    if action is None:
        next_zh, next_en = _NEXT_STEP[AlertStatus(current.status)]
        raise DomainError(
            f"预警当前状态为“{current.status}”，不能转为“{target}”：{next_zh} / The alert is "
            f"{current.status}, it cannot move to {target}: {next_en}",
            code="conflict",
        )
    source = current.status
    current.status = target
    fields = ["status"]
    if target == AlertStatus.INVESTIGATING:
        current.handler = actor
        fields.append("handler")
    if target == AlertStatus.CLOSED:
        current.conclusion = note
        current.closed_at = clock.now()
        fields += ["conclusion", "closed_at"]
    current.save(update_fields=fields)
    _step(current, action=action, actor=actor, source=source, target=target, note=note)
    return current


def alert_investigate(*, alert: Alert, actor: Person, note: str = "") -> Alert:
    """The regulator takes the case: it becomes theirs to handle."""
    with transaction.atomic():
        text = (note or "").strip()[:MAX_TEXT]
        return _move(alert, AlertStatus.INVESTIGATING, actor=actor, note=text)


def alert_close(*, alert: Alert, actor: Person, conclusion: str) -> Alert:
    """Close the case with what the investigation concluded (required)."""
    text = _text(
        conclusion,
        field="conclusion",
        required_zh="结案须填写调查结论：请写明结论后再结案",
        required_en="A conclusion is required to close the case: write what the investigation "
        "found, then close it",
    )
    with transaction.atomic():
        return _move(alert, AlertStatus.CLOSED, actor=actor, note=text)


def alert_note(*, alert: Alert, actor: Person, note: str) -> AlertStep:
    """A note on the case (what was asked, what came back), while it is not closed."""
    text = _text(
        note,
        field="note",
        required_zh="备注不能为空：请填写内容后再提交",
        required_en="The note is empty: write it, then submit",
    )
    with transaction.atomic():
        current = _locked(alert)
        if current.status not in NOTE_STATUSES:
            raise DomainError(
                "案件已结案，不能再添加备注 / The case is closed: no more notes can be added",
                code="conflict",
            )
        return _step(
            current,
            action=NOTE_ACTION,
            actor=actor,
            source=current.status,
            target=current.status,
            note=text,
        )
