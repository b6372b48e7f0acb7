"""Django admin: environments are edited here; assets and events are read-only records."""

from django.contrib import admin

from .models import Asset, AuditEvent, Environment


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "pingone_environment_id", "review_required"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["access_groups"]
    search_fields = ["name", "slug", "pingone_environment_id"]


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor_label", "from_status", "to_status", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["filename", "environment", "status", "pingone_image_id", "created_at"]
    list_filter = ["status", "environment"]
    search_fields = ["filename", "pingone_image_id", "sha256"]
    inlines = [AuditEventInline]
    # Status changes go through the portal's actions so that each one is audited.
    readonly_fields = [f.name for f in Asset._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "asset", "actor_label", "from_status", "to_status", "note"]
    list_filter = ["to_status"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
