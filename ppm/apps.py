from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class PpmConfig(AppConfig):
    name = "ppm"
    verbose_name = "Conductor core"

    def ready(self) -> None:
        from ppm.audit import install_decimal_decoding
        from ppm.signals import ensure_role_groups

        install_decimal_decoding()
        # The admin's sign-in counts failures with ours (one throttle, two doors).
        from django.contrib import admin

        from ppm.accounts.forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm
        # The data migration creates the groups once; a flush (transactional tests) empties
        # the table, and post_migrate after it puts them back.
        # Groups are auth's table: listen for auth's post_migrate.
        post_migrate.connect(ensure_role_groups, sender=apps.get_app_config("auth"))
