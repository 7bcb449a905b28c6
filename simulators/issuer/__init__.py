"""An issuer of electronic guarantees (a bank or insurer's guarantee system), as a real HTTP
service for the demo and the tests: ``python -m simulators.issuer --port P``.

It has its own SM2 key (made at start, served at ``GET /key``), is told what to issue at
``POST /_control/issue`` (it builds a small PDF, signs the payload and submits it to the
platform's API exactly as docs/guarantees.md says), revokes at ``POST /_control/revoke``,
and receives the platform's claims at ``POST /claims`` — once per claim id, however often
they come — listing them at ``GET /_control/claims``. Standard library and ggzy_core only.
"""
