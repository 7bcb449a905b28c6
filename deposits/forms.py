"""What people post on the deposit pages, bounded (the services check the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from deposits.models import LineOutcome

MAX_REASON_CHARS = 2000  # a decision's reason is kept in the ledger: long enough, bounded


class BasicAccountForm(forms.Form):
    number = forms.CharField(
        label=_("Basic account number"),
        max_length=40,  # digits, perhaps typed with spaces; the service takes 8 to 32 digits
        help_text=_("As on the basic account's opening licence."),
    )
    name = forms.CharField(label=_("Account name"), max_length=200)
    bank = forms.CharField(label=_("Bank and branch"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_REASON_CHARS}),
    )


class ForfeitForm(ReasonForm):
    bidder = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LineFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("All outcomes")), *LineOutcome.choices],
    )
