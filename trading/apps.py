from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradingConfig(AppConfig):
    name = "trading"
    verbose_name = _("Trading")

    def ready(self) -> None:
        from trading import workbench  # its panels on the workbench (accounts/workbench.py)

        workbench.register()
