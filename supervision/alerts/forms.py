"""The alerts pages' forms: list filters and the case actions (bounded inputs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.alerts.models import AlertStatus, RuleCode
from supervision.alerts.workflow import MAX_TEXT


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *AlertStatus.choices]
    )
    rule = forms.ChoiceField(
        label=_("Rule"), required=False, choices=[("", _("Any")), *RuleCode.choices]
    )
    section = forms.CharField(label=_("Section code"), required=False, max_length=48)


class ConclusionForm(forms.Form):
    # Not required here: the service refuses an empty conclusion with its bilingual reason.
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, max_length=MAX_TEXT, widget=forms.Textarea
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=MAX_TEXT, widget=forms.Textarea
    )
