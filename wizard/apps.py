from django.apps import AppConfig


class WizardConfig(AppConfig):
    name = "wizard"
    verbose_name = "Exchange to Intra2net migration"

    def ready(self) -> None:
        from wizard import languages  # noqa: F401  (connects the login signal)
