"""Forms of the credit pages: they parse and bound the input; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import credit, credit_import
from accounts.models import CreditBar, CreditKind, CreditRecord, CreditSource, Organisation, Person

PUBLIC_CHOICES = [
    ("", _("As the kind says (organisations' penalties and dishonesty are published)")),
    ("yes", _("Publish on the dishonest list")),
    ("no", _("Keep internal")),
]


class CreditRecordForm(forms.Form):
    credit_code = forms.CharField(
        label=_("Organisation's unified social credit code"), max_length=18, required=False
    )
    username = forms.CharField(
        label=_("Or the person's username (an expert's sign-in account)"),
        max_length=150,
        required=False,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CreditKind.choices)
    bars = forms.ChoiceField(label=_("Bars"), choices=CreditBar.choices)
    source = forms.ChoiceField(label=_("Source"), choices=CreditSource.choices)
    authority = forms.CharField(label=_("Decided by"), max_length=200)
    decision_number = forms.CharField(label=_("Decision number"), max_length=100)
    decided_on = forms.DateField(
        label=_("Decided on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    starts_on = forms.DateField(
        label=_("In force from (blank: the decision date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=_("In force until (blank: the default period of the kind)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    public = forms.ChoiceField(label=_("Published"), choices=PUBLIC_CHOICES, required=False)

    @classmethod
    def from_record(cls, record: CreditRecord) -> CreditRecordForm:
        """Prefilled with ``record`` (a correction starts from what it corrects)."""
        return cls(
            initial={
                "credit_code": record.organisation.credit_code if record.organisation else "",
                "username": record.person.username if record.person else "",
                "kind": record.kind,
                "bars": record.bars,
                "source": record.source,
                "authority": record.authority,
                "decision_number": record.decision_number,
                "decided_on": record.decided_on,
                "reason": record.reason,
                "starts_on": record.starts_on,
                "ends_on": record.ends_on,
                "public": "yes" if record.public else "no",
            }
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("credit_code") or "").strip().upper()
        username = (data.get("username") or "").strip()
        if bool(code) == bool(username):
            raise forms.ValidationError(
                _("Name exactly one subject: an organisation's credit code or a person's username.")
            )
        if code:
            data["organisation"] = Organisation.objects.filter(credit_code=code).first()
            if data["organisation"] is None:
                self.add_error("credit_code", _("No organisation with this code is registered."))
        else:
            data["person"] = Person.objects.filter(username=username).first()
            if data["person"] is None:
                self.add_error("username", _("No person with this username."))
        return data

    def entry(self) -> credit.Entry:
        data = self.cleaned_data
        return credit.Entry(
            kind=data["kind"],
            bars=data["bars"],
            source=data["source"],
            authority=data["authority"],
            decision_number=data["decision_number"],
            decided_on=data["decided_on"],
            reason=data["reason"],
            organisation=data.get("organisation"),
            person=data.get("person"),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            public={"yes": True, "no": False}.get(data.get("public") or ""),
        )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is revoked"),
        max_length=credit.REVOKE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )


class CreditImportForm(forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx)"))
    skip_unknown = forms.BooleanField(
        label=_("Skip rows whose organisation or person is not registered here"), required=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > credit_import.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is over %(size)s MiB: split it and import the parts.")
                % {"size": credit_import.MAX_BYTES // 2**20}
            )
        return upload


class CreditFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, code, username or decision"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any")), *CreditKind.choices], required=False
    )
    bars = forms.ChoiceField(
        label=_("Bars"), choices=[("", _("Any")), *CreditBar.choices], required=False
    )
    subject = forms.ChoiceField(
        label=_("About"),
        choices=[("", _("Any")), ("organisation", _("Organisations")), ("person", _("Persons"))],
        required=False,
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any"))] + [(key, label) for key, label in credit.STATE_LABELS.items()],
        required=False,
    )


class DishonestSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or credit code"), max_length=100, required=False)
