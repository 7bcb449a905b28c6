"""A section's life told from the ledger alone: its entries in chain order, grouped into the
phases of a tender (announcement → bidding → deadline → opening → evaluation → …), each with a
readable name. What a regulator reads here is what the chain proves; nothing is taken from
the tables' current state but which objects belong to the section (section_entries).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ggzy import clock
from supervision import ledger
from supervision.models import LedgerEntry
from supervision.portal import section_entries
from trading.models import Section

TIMELINE_LIMIT = 5000  # entries; a section past it is read through the ledger search

# (action prefix, phase). The first prefix that matches decides; order matters.
PHASES: tuple[tuple[str, Promise], ...] = (
    ("trading.section.opening", _("Deadline and opening")),
    ("trading.section.failed", _("Deadline and opening")),
    ("trading.section.cancelled", _("Cancelled")),
    ("trading.section.evaluation", _("Evaluation")),
    ("trading.section.publicity", _("Publicity, award and contract")),
    ("trading.section.awarded", _("Publicity, award and contract")),
    ("trading.section.contracted", _("Publicity, award and contract")),
    ("trading.section.archived", _("Archive")),
    ("trading.clarification", _("Clarifications and objections")),
    ("trading.objection", _("Clarifications and objections")),
    ("trading.", _("Announcement and tender documents")),
    ("bidding.", _("Bids and deposits")),
    ("deposits.refund", _("Refunds")),
    ("deposits.", _("Bids and deposits")),
    ("realtime.", _("Opening hall")),
    ("experts.", _("Expert draw and evaluation")),
    ("complaints.", _("Complaints")),
    ("alerts.", _("Alerts")),
    ("supervision.", _("Supervision")),
)

LABELS: dict[str, Promise] = {
    "trading.project.created": _("Project created"),
    "trading.section.created": _("Section created"),
    "trading.section.published": _("Announcement published"),
    "trading.section.bidding": _("Bidding opened"),
    "trading.section.opening": _("Deadline passed: the opening began"),
    "trading.section.failed": _("Section failed (re-tender)"),
    "trading.section.cancelled": _("Section cancelled"),
    "trading.section.evaluation": _("Evaluation began"),
    "trading.section.publicity": _("Candidates publicized"),
    "trading.section.awarded": _("Award notice issued"),
    "trading.section.contracted": _("Contract recorded"),
    "trading.section.archived": _("Archived"),
    "trading.document.issued": _("Tender document issued"),
    "trading.clarification.issued": _("Clarification issued"),
    "trading.objection.raised": _("Objection to the documents raised"),
    "trading.objection.answered": _("Objection to the documents answered"),
    "bidding.upload.started": _("Upload started"),
    "bidding.upload.refused": _("Upload refused"),
    "bidding.upload.expired": _("Upload expired"),
    "bidding.upload.terminated": _("Upload cancelled"),
    "bidding.bid.received": _("Sealed bid received"),
    "bidding.bid.replaced": _("Sealed bid replaced"),
    "bidding.bid.withdrawn": _("Bid withdrawn"),
    "deposits.sub_account.opened": _("Deposit sub-account opened"),
    "deposits.money.received": _("Deposit received"),
    "deposits.guarantee.received": _("Guarantee received"),
    "deposits.guarantee.released": _("Guarantee released"),
    "deposits.refund.decided": _("Refund decided"),
    "deposits.refund.paid": _("Refund paid"),
    "deposits.deposit.forfeited": _("Deposit forfeited"),
    "realtime.hall.created": _("Opening hall created"),
    "realtime.hall.signed_in": _("Bidder signed in"),
    "realtime.hall.read": _("Prices read out"),
    "realtime.hall.window_closed": _("Decryption window closed"),
    "realtime.bid.key_submitted": _("Bidder decrypted"),
    "realtime.bid.decrypted": _("Bid decrypted"),
    "realtime.bid.failed": _("Bid could not be decrypted"),
    "realtime.reading.answered": _("Reading confirmed or disputed"),
    "realtime.objection.raised": _("Objection raised in the hall"),
    "realtime.objection.answered": _("Objection answered in the hall"),
    "realtime.opening_key.share_released": _("Opening key share released"),
    "realtime.opening_key.share_used": _("Opening key share used"),
    "realtime.opening_key.reconstructed": _("Opening key reconstructed"),
    "realtime.rescue.started": _("Rescue decryption started"),
    "realtime.record.signed": _("Opening record signed"),
    "experts.draw.requested": _("Expert draw requested"),
    "experts.draw.committed": _("Draw commitment published"),
    "experts.draw.drawn": _("Experts drawn"),
    "experts.draw.revealed": _("Draw secret revealed"),
    "experts.draw.names_viewed": _("Committee names read"),
    "experts.seat.called": _("Expert called"),
    "experts.seat.confirmed": _("Expert confirmed"),
    "experts.seat.declined": _("Expert declined"),
    "experts.evaluation.opened": _("Evaluation opened"),
    "experts.evaluation.scored": _("Scores entered"),
    "experts.evaluation.outlier": _("Score far from the others"),
    "experts.evaluation.concluded": _("Evaluation concluded"),
    "experts.evaluation.signed": _("Report signed by a member"),
    "experts.evaluation.finished": _("Evaluation report complete"),
    "realtime.hall.sign_in": _("Hall: sign-in opened"),
    "realtime.hall.bidders": _("Hall: bidder list shown"),
    "realtime.hall.decryption": _("Hall: decryption window opened"),
    "realtime.hall.reading": _("Hall: reading began"),
    "realtime.hall.confirmation": _("Hall: confirmation began"),
    "realtime.hall.objections": _("Hall: objections heard"),
    "realtime.hall.closed": _("Hall closed"),
    "realtime.hall.failed": _("Hall: no opening"),
    "realtime.bid.revoked": _("Bid revoked (not decrypted by the bidder)"),
    "realtime.bid.withdrawn": _("Bid withdrawn (not decryptable)"),
    "experts.evaluation.rejected": _("Bid rejected by the committee"),
    "experts.evaluation.query_asked": _("Clarification asked of a bidder"),
    "experts.evaluation.query_answered": _("Clarification answered"),
    "experts.evaluation.leader_elected": _("Committee leader elected"),
    "deposits.alert.shared_payer": _("Deposits: one payer for several bidders"),
    "trading.section.suspended": _("Section suspended"),
    "trading.section.resumed": _("Section resumed"),
    "alerts.alert.raised": _("Alert raised"),
    "alerts.alert.evidence_added": _("Alert given new evidence"),
    "alerts.alert.investigating": _("Alert under investigation"),
    "alerts.alert.noted": _("Note added to an alert"),
    "alerts.alert.closed": _("Alert closed with a conclusion"),
    "complaints.complaint.filed": _("Complaint filed"),
    "complaints.complaint.accepted": _("Complaint accepted"),
    "complaints.complaint.not_accepted": _("Complaint not accepted"),
    "complaints.complaint.evidence_requested": _("Evidence requested (clock paused)"),
    "complaints.complaint.evidence_received": _("Evidence received (clock runs again)"),
    "complaints.complaint.statement": _("Statement added to a complaint"),
    "complaints.complaint.section_suspended": _("Section suspended for a complaint"),
    "complaints.complaint.section_resumed": _("Section resumed after a complaint"),
    "complaints.complaint.decided": _("Complaint decided"),
    "complaints.complaint.withdrawn": _("Complaint withdrawn"),
    "complaints.complaint.due_soon": _("Complaint clock due within a working day"),
    "complaints.complaint.overdue": _("Complaint clock overdue"),
    "supervision.portal.alert_viewed": _("Alert read"),
    "supervision.portal.timeline_viewed": _("Timeline read by the regulator"),
    "supervision.portal.hall_viewed": _("Hall supervision view read"),
}


@dataclass(frozen=True)
class Step:
    entry: LedgerEntry
    label: Any  # a lazy translation, or the action itself

    @property
    def action(self) -> str:
        return self.entry.action


@dataclass
class Phase:
    name: Any
    steps: list[Step] = field(default_factory=list)

    @property
    def began(self) -> dt.datetime:
        return self.steps[0].entry.recorded_at


def phase_of(action: str) -> Any:
    for prefix, name in PHASES:
        if action.startswith(prefix):
            return name
    return _("Other")


def label_of(action: str) -> Any:
    return LABELS.get(action, action)


def timeline(section: Section, *, now: dt.datetime | None = None) -> list[Phase]:
    """The section's visible entries in chain order, a new phase each time the phase
    changes (an objection after the opening is its own block, in its place)."""
    entries = (
        ledger.visible(now or clock.now())
        .filter(section_entries.entries_of(section))
        .order_by("sequence")[:TIMELINE_LIMIT]
    )
    phases: list[Phase] = []
    for entry in entries:
        name = phase_of(entry.action)
        if not phases or phases[-1].name != name:
            phases.append(Phase(name=name))
        phases[-1].steps.append(Step(entry=entry, label=label_of(entry.action)))
    return phases
