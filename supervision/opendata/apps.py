from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    """Open data: OCDS 1.1 releases and records of every public section (docs/opendata.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision.opendata"
    label = "opendata"
    verbose_name = _("Open data (OCDS)")

    def ready(self) -> None:
        from supervision.opendata import receivers  # noqa: F401  (a release per public change)
