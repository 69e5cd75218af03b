"""Notifications in the admin: to look into what was sent to whom, not to write them."""

from django.contrib import admin

from ppm.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "created_at", "read_at", "email_state")
    list_filter = ("kind", "email_state")
    search_fields = ("title", "key", "recipient__username")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # notifications are written by notify(), never by hand


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email", "updated_at")
    list_filter = ("email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
