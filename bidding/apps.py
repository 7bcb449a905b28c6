from django.apps import AppConfig


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = "投标 Bidding"

    def ready(self) -> None:
        from bidding import receivers  # noqa: F401  (count_live_bids, status_changed)
