"""`manage.py demo_code expert1`: the code a demo expert's authenticator would show now, for
trying the demo without an authenticator app.

Demo installations only (DEBUG, like demo_data), and only for the demo experts whose device
still holds the secret demo_data derived for them (a secret anyone can recompute): it never
prints a code from a secret someone chose or scanned for real.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import second_factor
from accounts.models import Person, Role
from config.management.commands.demo_data import EXPERTS, demo_totp_key


class Command(BaseCommand):
    help = "Print the current second-factor (TOTP) code of a demo expert (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="a demo expert: " + ", ".join(u for u, _ in EXPERTS))

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_code 仅用于演示环境（DEBUG）/ demo_code is for DEBUG (demo) installations only"
            )
        username: str = options["username"]
        demo = {name for name, _ in EXPERTS}
        person = Person.objects.filter(username=username, role=Role.EXPERT).first()
        device = second_factor.confirmed_device(person) if person is not None else None
        if username not in demo or device is None or device.key.lower() != demo_totp_key(username):
            raise CommandError(
                f"{username!r} 不是演示专家（或其认证器不是演示数据设置的），不能显示验证码；演示专家："
                f"{', '.join(sorted(demo))} / {username!r} is not a demo expert with the demo's "
                f"authenticator: no code shown. The demo experts: {', '.join(sorted(demo))}"
            )
        self.stdout.write(second_factor.current_code(device))
