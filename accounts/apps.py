from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账户 Accounts"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects the login/logout receivers)
