from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepositsConfig(AppConfig):
    name = "deposits"
    verbose_name = _("Deposits")

    def ready(self) -> None:
        from deposits import (
            receivers,  # noqa: F401  (status_changed, bid_withdrawn)
            workbench,  # its panels on the workbench (accounts/workbench.py)
        )

        workbench.register()
