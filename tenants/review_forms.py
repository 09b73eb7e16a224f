"""Forms for access reviews and invitations."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from .bulk_invitations import EMPTY, MAX_BYTES, NOT_CSV, TOO_BIG, looks_like_csv
from .forms import Textarea


class AccessReviewForm(forms.Form):
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=Textarea(attrs={"rows": 3}),
        help_text="Anything the next reviewer should know, such as who was asked about whom.",
    )  # fmt: skip


class BulkInviteForm(forms.Form):
    file = forms.FileField(
        label="List of people (CSV)",
        help_text=(
            "One row per person: first name, last name, e-mail address and, if you like, role "
            "(staff or manager; staff if left out). A heading row is fine."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"empty": EMPTY, "required": "Choose the CSV file to upload."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(TOO_BIG)
        head = upload.read(4096)
        upload.seek(0)
        if not looks_like_csv(name=upload.name or "", head=head):
            raise forms.ValidationError(NOT_CSV)
        return upload


class InvitationPasswordForm(SetPasswordForm):
    """Django's set-password form (its validators decide what is strong enough), in the site's
    words."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type it again"
