"""Django admin: environments are edited here; assets and events are read-only records."""

from django.contrib import admin

from . import services
from .models import Asset, AuditEvent, Environment

# What the admin saves itself; review is turned on or off only through the audited service.
PLAIN_ENVIRONMENT_FIELDS = [
    f.name for f in Environment._meta.concrete_fields if not f.primary_key and f.name != "review_required"
]


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "pingone_environment_id", "review_required"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["access_groups"]
    search_fields = ["name", "slug", "pingone_environment_id"]

    def save_model(self, request, obj, form, change):
        """Save the environment; review is turned on or off only through the audited service."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        required = obj.review_required
        obj.save(update_fields=PLAIN_ENVIRONMENT_FIELDS)
        services.set_review_required(obj, request.user, required)  # records nothing if unchanged

    def has_delete_permission(self, request, obj=None):
        """Only an environment with no history: its assets and audit events must stay."""
        if obj is not None and (obj.assets.exists() or obj.events.exists()):
            return False
        return super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record that can be looked at, never added, changed or deleted from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor_label", "from_status", "to_status", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Asset)
class AssetAdmin(ReadOnlyAdmin):
    list_display = ["filename", "environment", "status", "pingone_image_id", "created_at"]
    list_filter = ["status", "environment"]
    search_fields = ["filename", "pingone_image_id", "sha256"]
    inlines = [AuditEventInline]
    # Status changes go through the portal's actions so that each one is audited.
    readonly_fields = [f.name for f in Asset._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "environment", "asset", "actor_label", "from_status", "to_status", "note"]
    list_filter = ["to_status", "environment"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
