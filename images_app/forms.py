"""Forms: the multi-file upload, the gallery search, review and promote decisions, the audit filters."""

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import EVENT_ACTIONS, Environment


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files; each one is judged later, on its own."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            raise ValidationError("Choose at least one image to upload.", code="no_files")
        limit = settings.PORTAL_MAX_FILES_PER_UPLOAD
        if len(files) > limit:
            raise ValidationError(
                f"At most {limit} files can be uploaded at once; this request had {len(files)}.",
                code="too_many_files",
            )
        return files


class UploadForm(forms.Form):
    files = MultipleFileField()


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class GallerySearchForm(forms.Form):
    """A gallery's search, of bounded length (an unbounded one costs the database)."""

    MAX_QUERY = 200

    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY,
        strip=True,
        error_messages={"max_length": f"Search for at most {MAX_QUERY} characters."},
    )


class ListField(forms.Field):
    """Every value posted under one name (checkboxes), each cleaned by `item`."""

    widget = forms.MultipleHiddenInput

    def __init__(self, item, **kwargs):
        self.item = item
        super().__init__(**kwargs)

    def to_python(self, value):
        return [self.item.clean(v) for v in (value or []) if str(v).strip()]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class ReviewForm(forms.Form):
    """One decision for several assets of the review queue; each still waits or is skipped."""

    assets = ListField(
        forms.IntegerField(min_value=1), error_messages={"required": "Select at least one upload."}
    )
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "reject" and not (cleaned.get("reason") or "").strip():
            message = "Give a reason for the rejection."
            self.add_error("reason", ValidationError(message, code="reason_required"))
        return cleaned


class PromoteForm(forms.Form):
    """The environments (slugs) a live asset is copied to; each is answered on its own."""

    environments = ListField(
        forms.SlugField(max_length=100),
        error_messages={"required": "Choose at least one environment to promote to."},
    )


class EnvironmentSettingsForm(forms.Form):
    review_required = forms.BooleanField(
        required=False, label="Uploads wait for an admin's review before they are pushed"
    )


class AuditFilterForm(forms.Form):
    """The audit trail's filters: environment, who, action and a range of days (all optional)."""

    MAX_USER = 200

    environment = forms.ModelChoiceField(
        queryset=Environment.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All environments",
        widget=forms.Select(attrs={"aria-label": "Environment"}),
        error_messages={"invalid_choice": "There is no such environment."},
    )
    user = forms.CharField(
        required=False,
        max_length=MAX_USER,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Who (email)", "aria-label": "Who"}),
        error_messages={"max_length": f"Search for someone with at most {MAX_USER} characters."},
    )
    action = forms.ChoiceField(
        required=False,
        choices=[("", "All actions"), *EVENT_ACTIONS],
        widget=forms.Select(attrs={"aria-label": "Action"}),
        error_messages={"invalid_choice": "There is no such action."},
    )
    since = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "aria-label": "From day"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give the first day as YYYY-MM-DD."},
    )
    until = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "aria-label": "To day"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give the last day as YYYY-MM-DD."},
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            message = "The last day is before the first day."
            self.add_error("until", ValidationError(message, code="until_before_since"))
        return cleaned

    def filter(self, events):
        """The events the (valid) filters select; the days are whole days in the portal's time zone."""
        data = self.cleaned_data
        return (
            events.in_environment(data["environment"])
            .by_actor(data["user"])
            .with_action(data["action"])
            .between(_start_of_day(data["since"]), _start_of_day(data["until"], days_later=1))
        )

    def error_message(self):
        """Every refusal in one sentence, for the error page."""
        return " ".join(error for errors in self.errors.values() for error in errors)


def _start_of_day(day, days_later=0):
    """The first instant of the day `days_later` after `day`, in the portal's time zone; None
    when there is no day, or it lies beyond what a datetime holds (then nothing is bounded)."""
    if day is None:
        return None
    try:
        midnight = datetime.combine(day, time.min) + timedelta(days=days_later)
        return timezone.make_aware(midnight).astimezone(UTC)
    except OverflowError:
        return None


PINGONE_ID = r"^[A-Za-z0-9][A-Za-z0-9-]*$"


class ApplyForm(forms.Form):
    """Where to put a live asset on the sign-on screens (DESIGN.md's apply contract)."""

    target = forms.ChoiceField(
        choices=[(t, t) for t in ("theme_logo", "theme_background", "settings_logo", "app_icon")],
        error_messages={"required": "Choose where to put the image.", "invalid_choice": "Unknown target."},
    )
    # Ids go into PingOne's URL paths: nothing but a PingOne id's characters.
    theme = forms.RegexField(
        PINGONE_ID, required=False, max_length=64, error_messages={"invalid": "Unknown theme."}
    )
    activate = forms.BooleanField(required=False)
    application = forms.RegexField(
        PINGONE_ID, required=False, max_length=64, error_messages={"invalid": "Unknown application."}
    )

    def clean(self):
        cleaned = super().clean()
        return {
            "target": cleaned.get("target"),
            "theme_id": cleaned.get("theme", ""),
            "activate": cleaned.get("activate", False),
            "application_id": cleaned.get("application", ""),
        }
