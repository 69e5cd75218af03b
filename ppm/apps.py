from django.apps import AppConfig


class PpmConfig(AppConfig):
    name = "ppm"
    verbose_name = "Conductor core"

    def ready(self) -> None:
        from ppm.audit import install_decimal_decoding

        install_decimal_decoding()
