"""What staff and experts post on the draw pages, bounded (experts.draw and experts.seats
check the rules: committee size, two thirds experts, the deadline, a decline's reason)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Person, Role
from experts.draw import Wanted
from experts.evaluation import CriterionSpec
from experts.models import RelationshipKind, Specialty
from trading.models import EvaluationMethod

MAX_NEEDS = 6  # specialty rows on the request form
MAX_MEMBERS = 25  # members of one specialty
MAX_BACKUPS = 10
MAX_REPRESENTATIVES = 10
MAX_REASON_CHARS = 200  # Seat.reason


class DrawRequestForm(forms.Form):
    evaluation_on = forms.DateField(
        label=_("Evaluation day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    representatives = forms.IntegerField(
        label=_("Tenderee's representatives"),
        min_value=0,
        max_value=MAX_REPRESENTATIVES,
        initial=0,
        help_text=_("Experts must be at least two thirds of the committee [L37, P9]."),
    )
    outside_min = forms.IntegerField(
        label=_("Experts from outside the city"),
        required=False,
        min_value=0,
        max_value=MAX_MEMBERS * MAX_NEEDS,
        initial=0,
        help_text=_("For cross-region evaluation: at least this many members from elsewhere."),
    )
    outside_city = forms.CharField(
        label=_("Home city (first four digits of its region code)"),
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"size": 4, "inputmode": "numeric"}),
    )


class NeedForm(forms.Form):
    """One row: a specialty (that code and every code below it), members and backups."""

    specialty = forms.ModelChoiceField(
        label=_("Specialty code"),
        queryset=Specialty.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.TextInput(attrs={"list": "specialty-codes", "size": 8, "maxlength": 16}),
        error_messages={"invalid_choice": _("No such code on the specialty list.")},
    )
    count = forms.IntegerField(
        label=_("Members"), min_value=1, max_value=MAX_MEMBERS, required=False
    )
    backups = forms.IntegerField(
        label=_("Backups"), min_value=0, max_value=MAX_BACKUPS, required=False, initial=1
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("specialty") is not None and data.get("count") is None:
            self.add_error("count", _("How many members of this specialty?"))
        return data

    def wanted(self) -> Wanted | None:
        data = self.cleaned_data
        if data.get("specialty") is None:
            return None  # an empty row
        backups = data.get("backups")
        return Wanted(data["specialty"], data["count"], 1 if backups is None else backups)


NeedFormSet = forms.formset_factory(
    NeedForm, extra=MAX_NEEDS, max_num=MAX_NEEDS, validate_max=True, absolute_max=MAX_NEEDS
)


def wanted_of(needs: Any) -> list[Wanted]:
    """The filled rows of a valid NeedFormSet, in order."""
    return [item for item in (form.wanted() for form in needs.forms) if item is not None]


class SeatAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("confirm", _("I confirm and will serve")), ("decline", _("I decline"))],
        widget=forms.RadioSelect,
    )
    # Not required here: the service refuses a decline without a reason, in both languages.
    reason = forms.CharField(
        label=_("Reason for declining"),
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_REASON_CHARS}),
        help_text=_("Required when you decline, for example a conflict of interest."),
    )

    @property
    def accept(self) -> bool:
        return bool(self.cleaned_data["decision"] == "confirm")


# --- Evaluation ----------------------------------------------------------------------------

CRITERIA_TEXT_MAX_CHARS = 6_000
KEY_FILE_MAX_BYTES = 16 * 1024


class EvaluationOpenForm(forms.Form):
    """Staff open the evaluation: how long, the criteria (comprehensive scoring), the
    tenderee's representatives."""

    hours = forms.IntegerField(
        label=_("Evaluation time (hours)"), min_value=1, max_value=240, initial=8
    )
    criteria = forms.CharField(
        label=_("Criteria (comprehensive scoring)"),
        required=False,
        max_length=CRITERIA_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text=_(
            "One per line: name | maximum points | weight (weight optional, 1 by default), as "
            "in the tender documents. Ignored for the lowest evaluated price method."
        ),
    )
    representatives: forms.ModelMultipleChoiceField[Person] = forms.ModelMultipleChoiceField(
        label=_("Tenderee's representatives"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, draw: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project = draw.section.project
        owners = [pk for pk in (project.tenderee_id, project.agency_id) if pk]
        field = self.fields["representatives"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # nosec B101 # type narrowing
        field.queryset = Person.objects.filter(
            organisation_id__in=owners, role=Role.TENDEREE, is_active=True
        ).order_by("pk")
        if draw.section.evaluation_method == EvaluationMethod.COMPREHENSIVE:
            self.fields["criteria"].required = True


def criteria_of(text: str) -> list[CriterionSpec]:
    """The criteria lines as CriterionSpec (the service checks names and bounds)."""
    specs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace("｜", "|").split("|")]
        specs.append(
            CriterionSpec(
                name=parts[0],
                maximum=parts[1] if len(parts) > 1 else "",
                weight=parts[2] if len(parts) > 2 and parts[2] else "1",
            )
        )
    return specs


class SigningKeyForm(forms.Form):
    key_file = forms.FileField(
        label=_("Public key file (.pub.pem)"),
        required=False,
        help_text=_("Made with `ggzy-bid keys new`; the private key stays on your machine."),
    )
    public_key = forms.CharField(
        label=_("…or paste the public key (PEM)"),
        required=False,
        max_length=4_000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 66}),
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        upload = data.get("key_file")
        if upload is not None and upload.size > KEY_FILE_MAX_BYTES:
            raise forms.ValidationError(
                _("A public key file is a few hundred bytes: this is not one.")
            )
        if upload is None and not data.get("public_key", "").strip():
            raise forms.ValidationError(_("Choose your public key file or paste the key."))
        return data

    def pem(self) -> str:
        upload = self.cleaned_data.get("key_file")
        if upload is not None:
            return bytes(upload.read(KEY_FILE_MAX_BYTES)).decode("ascii", "replace")
        return str(self.cleaned_data.get("public_key", ""))


class QueryAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("A clarification may not change the price or the substance of the bid [R52]."),
    )


class UnavailableForm(forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Note"), required=False, max_length=200)


class RelationshipForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of tie"), choices=RelationshipKind.choices)
    credit_code = forms.CharField(label=_("Organisation's credit code"), max_length=18)
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200)
    until = forms.DateField(
        label=_("Until (empty: lasting)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
