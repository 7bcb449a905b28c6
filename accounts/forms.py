from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.credit_code import normalise, validate_credit_code
from accounts.models import SELF_REGISTERED_KINDS, OrganisationKind
from accounts.services import MAX_KEY_FILE_BYTES

# Bounds on what people post (issue 7): the other fields mirror their models' max_length;
# a password and a pasted key have no model column to bound them, so they are bounded here.
MAX_PASSWORD_CHARS = 128


class RegisterOrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=18, min_length=1
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in SELF_REGISTERED_KINDS],
        initial=OrganisationKind.BIDDER,
    )
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100)
    legal_representative_id_number = forms.CharField(
        label=_("Legal representative's ID number"),
        max_length=18,
        required=False,
        help_text=_("Only a digest is kept, to detect bidders under one representative."),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
    admin_username = forms.CharField(label=_("Your username"), max_length=150)
    admin_display_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    admin_email = forms.EmailField(label=_("Email"), required=False)
    admin_password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, max_length=MAX_PASSWORD_CHARS
    )

    def clean_credit_code(self) -> str:
        code = normalise(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        return code


class PersonAddForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, max_length=MAX_PASSWORD_CHARS
    )
    is_organisation_admin = forms.BooleanField(
        label=_("May manage the organisation"), required=False
    )


class KeyBindForm(forms.Form):
    key_file = forms.FileField(
        label=_("Public key or certificate file (PEM or DER)"), required=False
    )
    key_text = forms.CharField(
        label=_("…or paste the PEM text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=MAX_KEY_FILE_BYTES,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("key_file")
        text = (data.get("key_text") or "").strip()
        if upload is not None:
            if upload.size > MAX_KEY_FILE_BYTES:
                raise ValidationError(
                    _("The file is too large for a key or certificate (limit 64 KB).")
                )
            data["key_bytes"] = upload.read()
        elif text:
            data["key_bytes"] = text.encode()
        else:
            raise ValidationError(_("Choose a key file or paste the PEM text."))
        return data


class OrganisationEditForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)
