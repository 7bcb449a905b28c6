from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardConfig(AppConfig):
    name = "award"
    verbose_name = _("Publicity, award and contract")

    def ready(self) -> None:
        from award import (
            receivers,  # noqa: F401  (publicity starts with the final report)
            workbench,  # its panels on the workbench (accounts/workbench.py)
        )

        workbench.register()
