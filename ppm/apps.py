from django.apps import AppConfig


class PpmConfig(AppConfig):
    name = "ppm"
    verbose_name = "Conductor core"
