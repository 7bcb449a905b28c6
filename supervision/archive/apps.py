from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    """The electronic archive of each closed section, verifiable offline (docs/archive.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision.archive"
    label = "archive"
    verbose_name = _("Electronic archive")

    def ready(self) -> None:
        from supervision.archive import (
            receivers,  # noqa: F401  (sealing follows closing)
            workbench,  # its panels on the workbench
        )

        workbench.register()
