"""Notifications and API tokens in the admin: to look into what was sent to whom and which
tokens exist, not to write them."""

from django.contrib import admin

from ppm.models import ApiToken, Notification, NotificationPreference


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read only: tokens are made and revoked by their owners (/accounts/tokens/). To stop
    every token of a person at once, deactivate their account. Deleting stays allowed, so a
    person's account can still be deleted with its tokens."""

    list_display = (
        "name",
        "owner",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    search_fields = ("name", "prefix", "owner__username")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    # The digest is left out: it opens nothing, and there is no reason to show it.
    fields = ("owner", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
