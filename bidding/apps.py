from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("Bidding")

    def ready(self) -> None:
        from bidding import (
            receivers,  # noqa: F401  (count_live_bids, bidders_of, status_changed)
            workbench,  # its panels on the workbench (accounts/workbench.py)
        )

        workbench.register()
