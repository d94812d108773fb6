"""The notification settings form (R-NOT-5): a channel per kind, and quiet hours."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_CHANNELS, Channel, Kind, QuietHours

TIME_FORMATS = ["%H:%M", "%H.%M", "%H:%M:%S"]


def kind_field(kind: str) -> str:
    return f"kind_{kind}"


class NotificationSettingsForm(forms.Form):
    quiet_from = forms.TimeField(
        label=_("No e-mail from"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={"invalid": _("Enter a time such as 22:00.")},
    )
    quiet_until = forms.TimeField(
        label=_("until"),
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={"invalid": _("Enter a time such as 07:00.")},
    )

    def __init__(self, *args, channels: dict[str, str], quiet: QuietHours | None, **kwargs):
        initial = {kind_field(k): channels.get(k, DEFAULT_CHANNELS[k]) for k in Kind.values}
        if quiet is not None:
            initial |= {"quiet_from": quiet.starts_at, "quiet_until": quiet.ends_at}
        super().__init__(*args, initial=initial, **kwargs)
        kinds = {}
        for kind in Kind:
            kinds[kind_field(kind.value)] = forms.ChoiceField(
                label=kind.label,
                choices=Channel.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose how to notify you."),
                    "invalid_choice": _("Choose one of the offered ways."),
                },
            )
        # the kinds first, then the quiet hours
        self.fields = kinds | dict(self.fields)

    @property
    def kind_fields(self):
        return [self[kind_field(k)] for k in Kind.values]

    def clean(self):
        data = super().clean()
        starts, ends = data.get("quiet_from"), data.get("quiet_until")
        if self.errors:
            return data
        if (starts is None) != (ends is None):
            raise forms.ValidationError(
                _("Give both ends of the quiet hours, or leave both empty for none.")
            )
        if starts is not None and starts.replace(second=0) == ends.replace(second=0):
            raise forms.ValidationError(_("Quiet hours must start and end at different times."))
        return data

    def channels(self) -> dict[str, str]:
        return {k: self.cleaned_data[kind_field(k)] for k in Kind.values}

    def quiet_hours(self):
        """(from, until) or None."""
        starts = self.cleaned_data.get("quiet_from")
        if starts is None:
            return None
        return starts.replace(second=0), self.cleaned_data["quiet_until"].replace(second=0)
