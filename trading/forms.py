from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from trading.models import Category, EvaluationMethod, OpeningKeyMode, SectionStatus
from trading.rules import (
    CLARIFICATION_BODY_MAX_CHARS,
    EVALUATION_CRITERIA_MAX_CHARS,
    NAME_MAX_CHARS,
    OBJECTION_ANSWER_MAX_CHARS,
    OBJECTION_TEXT_MAX_CHARS,
    PROJECT_CODE_MAX_CHARS,
    REASON_MAX_CHARS,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SectionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=NAME_MAX_CHARS)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Category.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))]
        + [c for c in SectionStatus.choices if c[0] != SectionStatus.DRAFT],
    )


class ProjectForm(forms.Form):
    code = forms.CharField(label=_("Project code"), max_length=PROJECT_CODE_MAX_CHARS)
    name = forms.CharField(label=_("Project name"), max_length=NAME_MAX_CHARS)
    centre = forms.ModelChoiceField(
        label=_("Trading centre"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.CENTRE),
    )
    regulator = forms.ModelChoiceField(
        label=_("Supervising department"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.REGULATOR),
    )


class SectionForm(forms.Form):
    name = forms.CharField(label=_("Section name"), max_length=NAME_MAX_CHARS)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    estimated_price = forms.DecimalField(
        label=_("Estimated price (yuan)"), max_digits=16, decimal_places=2
    )
    price_ceiling = forms.DecimalField(
        label=_("Price ceiling (yuan)"), max_digits=16, decimal_places=2, required=False
    )
    bid_deposit = forms.DecimalField(label=_("Bid deposit (yuan)"), max_digits=16, decimal_places=2)
    bid_validity_days = forms.IntegerField(label=_("Bid validity (days)"), min_value=1, initial=90)
    documents_from = forms.DateTimeField(label=_("Tender documents issued from"), widget=DATETIME)
    bid_deadline = forms.DateTimeField(label=_("Bid deadline = opening time"), widget=DATETIME)
    decryption_window_minutes = forms.IntegerField(
        label=_("Decryption window (minutes)"), min_value=5, max_value=240, initial=30
    )
    evaluation_method = forms.ChoiceField(
        label=_("Evaluation method"), choices=EvaluationMethod.choices
    )
    evaluation_criteria = forms.CharField(
        label=_("Evaluation criteria"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=EVALUATION_CRITERIA_MAX_CHARS,
    )
    opening_key_mode = forms.ChoiceField(
        label=_("Opening key"),
        choices=OpeningKeyMode.choices,
        initial=OpeningKeyMode.DKG,
        help_text=_(
            "By default the centre, the regulator and you generate the opening key together "
            "with ggzy-bid before publication, and nobody ever holds it whole. The fallback, "
            "for when a holder cannot take part: the platform makes the key at publication, "
            "splits it among the three and forgets it — it exists whole for an instant in the "
            "platform's memory."
        ),
    )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=NAME_MAX_CHARS, initial="招标文件")
    file = forms.FileField(label=_("File"))


class ClarificationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=NAME_MAX_CHARS)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=CLARIFICATION_BODY_MAX_CHARS,
    )
    file = forms.FileField(label=_("Amended documents (optional)"), required=False)
    new_deadline = forms.DateTimeField(
        label=_("New bid deadline (optional)"), required=False, widget=DATETIME
    )

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "upload": data.get("file"),
            "new_deadline": data.get("new_deadline"),
        }


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=OBJECTION_TEXT_MAX_CHARS,
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=OBJECTION_ANSWER_MAX_CHARS,
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=REASON_MAX_CHARS
    )


class DownloadForm(forms.Form):
    notify_email = forms.EmailField(
        label=_("Email for clarification notices (optional)"), required=False
    )
