from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class PpmConfig(AppConfig):
    name = "ppm"
    verbose_name = "Conductor core"

    def ready(self) -> None:
        from ppm.audit import install_decimal_decoding
        from ppm.signals import ensure_role_groups

        install_decimal_decoding()
        # Register the notification tasks in every process (as reporting does its engine's):
        # the beat schedule names them, and every name it holds must be registered
        # (reporting/tests/test_task_names.py).
        # The admin's sign-in counts failures with ours (one throttle, two doors).
        from django.contrib import admin

        import ppm.tasks  # noqa: F401
        from ppm.accounts.forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm
        # The data migration creates the groups once; a flush (transactional tests) empties
        # the table, and post_migrate after it puts them back.
        # Groups are auth's table: listen for auth's post_migrate.
        post_migrate.connect(ensure_role_groups, sender=apps.get_app_config("auth"))
