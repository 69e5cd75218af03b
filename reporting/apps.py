from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # Register the engine's tasks in every process, not only in workers (which discover
        # them): lower apps run them by name (projects.tasks.run_now) and cannot import them.
        from reporting import figure_cache, tasks  # noqa: F401

        figure_cache.connect_signals()
