"""The award stage's forms: bounded inputs; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from award.models import OutcomeOfObjection
from award.services import CONTRACT_MAX_BYTES, CONTRACT_NUMBER_MAX_CHARS, DECLINE_REASON_MAX_CHARS
from award.terms import TERM_MAX_CHARS
from trading.rules import OBJECTION_ANSWER_MAX_CHARS, OBJECTION_TEXT_MAX_CHARS, REASON_MAX_CHARS


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection to the result (facts and grounds)"),
        max_length=OBJECTION_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=OBJECTION_ANSWER_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OutcomeOfObjection.choices)
    excludes_number = forms.IntegerField(
        label=_("Upheld: exclude the candidate with bid number"),
        required=False,
        min_value=1,
        max_value=10_000,
    )
    retender = forms.BooleanField(label=_("Upheld: re-tender the section"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the winner gave up or refused to sign"),
        max_length=DECLINE_REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ContractForm(forms.Form):
    number = forms.CharField(label=_("Contract number"), max_length=CONTRACT_NUMBER_MAX_CHARS)
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    price = forms.DecimalField(
        label=_("Contract price (yuan)"), max_digits=16, decimal_places=2, min_value=0
    )
    duration_days = forms.IntegerField(
        label=_("Duration (calendar days)"), required=False, min_value=1, max_value=100_000
    )
    quality = forms.CharField(label=_("Quality"), required=False, max_length=TERM_MAX_CHARS)
    project_manager = forms.CharField(
        label=_("Project manager"), required=False, max_length=TERM_MAX_CHARS
    )
    warranty = forms.CharField(label=_("Warranty"), required=False, max_length=TERM_MAX_CHARS)
    document = forms.FileField(label=_("Signed contract (PDF)"))

    def clean_document(self) -> Any:
        document = self.cleaned_data["document"]
        if document.size > CONTRACT_MAX_BYTES:
            raise forms.ValidationError(
                _("The contract file may be at most %(mb)s MB: compress it and upload again.")
                % {"mb": CONTRACT_MAX_BYTES // (1024 * 1024)}
            )
        return document

    def terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("duration_days", "quality", "project_manager", "warranty")
            if data.get(name) not in (None, "")
        }
