"""The complaints forms: early feedback on the bounds the services enforce."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.complaints.models import (
    NOTE_MAX_CHARS,
    OBJECTION_REFERENCE_MAX_CHARS,
    REQUESTS_MAX_CHARS,
    TEXT_MAX_CHARS,
    Matter,
    Outcome,
)


class ComplaintForm(forms.Form):
    matter = forms.ChoiceField(label=_("What the complaint is about"), choices=Matter.choices)
    knew_on = forms.DateField(
        label=_("The day you knew (or should have known) of the matter"),
        help_text=_("Complaints are filed within 10 days of that day [R60]."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    objection_reference = forms.CharField(
        label=_("Your objection to the evaluation result (date and reference)"),
        help_text=_("Only for a complaint about the evaluation result [R54]."),
        max_length=OBJECTION_REFERENCE_MAX_CHARS,
        required=False,
    )
    text = forms.CharField(
        label=_("Facts and grounds"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea
    )
    requests = forms.CharField(
        label=_("What you ask the supervising department to do"),
        max_length=REQUESTS_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HandleForm(forms.Form):
    """The supervising department's actions, one button each."""

    ACTIONS = (
        ("accept", _("Accept")),
        ("refuse", _("Do not accept (give the reason)")),
        ("request_evidence", _("Request evidence (pauses the clock)")),
        ("evidence_received", _("Evidence received (the clock runs again)")),
        ("decide", _("Decide")),
        ("suspend", _("Suspend the section")),
        ("resume", _("Resume the section")),
    )
    action = forms.ChoiceField(choices=ACTIONS)
    note = forms.CharField(
        label=_("Note, reason or decision"),
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("Statement"), max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
