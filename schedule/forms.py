from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import ParentApplication


class ParentApplicationForm(forms.Form):
    """A parent of this class's list, chosen by name; the rest is the paper application."""

    parent = forms.ChoiceField(label=_("Parent"))
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    number = forms.CharField(label=_("Registration number"), max_length=30, required=False)
    pd_consent = forms.BooleanField(
        label=_("Consent to personal data processing is signed"), required=False
    )
    decision = forms.ChoiceField(label=_("Decision"), choices=ParentApplication.Decision)
    reason = forms.CharField(
        label=_("Reason (required for a refusal)"), max_length=300, required=False
    )

    def __init__(self, *args, students, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.parents = {}
        for student in students:
            for link in student.parent_links.all():
                self.parents.setdefault(str(link.parent.pk), link.parent)
        self.fields["parent"].choices = [("", "—")] + [
            (key, parent.full_name) for key, parent in self.parents.items()
        ]
        self.fields["received_on"].initial = today

    def clean_parent(self):
        return self.parents[self.cleaned_data["parent"]]
