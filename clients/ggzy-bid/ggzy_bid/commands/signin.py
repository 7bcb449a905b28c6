"""``signin``: attend the opening (签到). The same request and the same words as the hall
page's "Sign in" button: the platform answers with the time and what comes next, and says
what signing in means (attendance, recorded in the opening record; not a condition of
decryption — docs/decisions.md, "Sign-in")."""

from __future__ import annotations

import argparse

from .. import server
from ..errors import EXIT_OK
from .submission import server_options


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    signin = subparsers.add_parser(
        "signin",
        help="在开标大厅签到 / sign in to the opening hall (attendance, recorded in the record)",
        description="Sign in to the section's opening hall, from the opening (the bid deadline) "
        "until the hall closes. Optional: it records attendance; decryption does not need it.",
    )
    signin.add_argument("--section", required=True, metavar="CODE")
    server_options(signin)
    signin.set_defaults(handler=run_signin)


def run_signin(args: argparse.Namespace) -> int:
    session = server.Session(server.resolve(args.server, args.token))
    body = session.json("POST", f"/api/halls/{args.section}/sign-in", retry=False)
    print(body["detail"])
    print(body["rule"])
    return EXIT_OK
