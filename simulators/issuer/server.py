"""The issuer simulator's HTTP side: its key, the control calls the tests and the demo make,
and the claims it receives from the platform."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ggzy_core import guarantee as protocol
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from simulators.issuer import client

log = logging.getLogger("simulators.issuer")
MAX_BODY_BYTES = 64 * 1024
TERMS = ("number", "section", "bidder", "beneficiary", "amount", "valid_from", "valid_until")


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Issuer:
    """The simulated issuer's state; every method is safe from several request threads."""

    credit_code: str
    key: sm2.SM2PrivateKey = field(default_factory=sm2.generate_private_key)
    platform_keys: dict[str, sm2.SM2PublicKey] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_claims: int = 0
    last_request: tuple[str, client.Prepared] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def trust(self, pem: bytes) -> str:
        key = sm2.load_public_key(pem)
        with self.lock:
            self.platform_keys[key.fingerprint()] = key
        return key.fingerprint()

    def learn_platform_key(self, platform_url: str) -> None:
        """Trust the key the platform publishes (a real issuer gets it out of band)."""
        if self.platform_keys:
            return
        try:
            self.trust(client.fetch(platform_url.rstrip("/") + "/api/platform-key"))
        except (OSError, ValueError) as exc:
            log.warning("could not fetch the platform key from %s: %s", platform_url, exc)

    def send(self, platform_url: str, prepared: client.Prepared) -> dict[str, Any]:
        with self.lock:
            self.last_request = (platform_url, prepared)
        status, answer = client.send(platform_url, prepared)
        return {"status": status, "answer": answer}

    def issue(self, order: dict[str, Any]) -> dict[str, Any]:
        platform_url = _platform_url(order)
        missing = [name for name in TERMS if not isinstance(order.get(name), str)]
        if missing:
            raise Refused(400, f"missing or not strings: {missing}")
        terms = {name: order[name] for name in TERMS}
        terms["issuer"] = str(order.get("issuer") or self.credit_code)
        for optional in ("currency", "issued_at"):
            if isinstance(order.get(optional), str):
                terms[optional] = order[optional]
        fault = str(order.get("fault") or "")
        try:
            issued = client.issue(key=self.key, terms=terms, fault=fault)
        except ValueError as exc:
            raise Refused(400, str(exc)) from exc
        self.learn_platform_key(platform_url)
        prepared = client.submission(
            key=self.key, issuer=terms["issuer"], issued=issued, fault=fault
        )
        return self.send(platform_url, prepared)

    def revoke(self, order: dict[str, Any]) -> dict[str, Any]:
        platform_url = _platform_url(order)
        number, reason = order.get("number"), order.get("reason") or "issuer revoked"
        if not isinstance(number, str) or not isinstance(reason, str):
            raise Refused(400, "number and reason must be strings")
        prepared = client.revocation(
            key=self.key, issuer=self.credit_code, number=number, reason=reason
        )
        return self.send(platform_url, prepared)

    def replay(self) -> dict[str, Any]:
        with self.lock:
            last = self.last_request
        if last is None:
            raise Refused(409, "nothing sent yet")
        status, answer = client.send(last[0], last[1])
        return {"status": status, "answer": answer}

    def receive_claim(self, body: bytes, headers: Any) -> bytes:
        """Record a claim once per claim id; the signed answer (the same reference) each time."""
        claim_id = headers.get(protocol.HEADER_IDEMPOTENCY_KEY, "")
        try:
            claim = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refused(400, "the claim is not JSON") from exc
        if not isinstance(claim, dict) or claim.get("format") != protocol.CLAIM_FORMAT:
            raise Refused(400, f"the claim's format must be {protocol.CLAIM_FORMAT}")
        if not claim_id or claim.get("claim_id") != claim_id:
            raise Refused(400, "Idempotency-Key must be the claim's claim_id")
        verified = self._check_platform_signature(body, headers)
        with self.lock:
            if self.fail_claims > 0:
                self.fail_claims -= 1
                raise Refused(503, "told to fail this claim")
            record = self.claims.get(claim_id)
            if record is None:
                record = {
                    "claim_id": claim_id,
                    "number": claim.get("number"),
                    "amount": claim.get("amount"),
                    "reason": claim.get("reason"),
                    "reference": "CLM-" + secrets.token_hex(6).upper(),
                    "received_at": dt.datetime.now(dt.UTC).isoformat(),
                    "verified": verified,
                    "deliveries": 0,
                }
                self.claims[claim_id] = record
            record["deliveries"] += 1
            reference = record["reference"]
        return canonical(
            {
                "format": protocol.CLAIM_ANSWER_FORMAT,
                "claim_id": claim_id,
                "number": claim.get("number"),
                "reference": reference,
                "status": "accepted",
            }
        )

    def _check_platform_signature(self, body: bytes, headers: Any) -> bool:
        with self.lock:
            key = self.platform_keys.get(headers.get(protocol.HEADER_KEY, ""))
            known = bool(self.platform_keys)
        if key is None:
            if known:
                raise Refused(401, "the claim is signed with a key this issuer does not know")
            return False  # no platform key known: taken unverified, and listed so
        try:
            if key.verify(body, bytes.fromhex(headers.get(protocol.HEADER_SIGNATURE, ""))):
                return True
        except ValueError:
            pass
        raise Refused(401, "the claim's platform signature does not verify")


def _platform_url(order: dict[str, Any]) -> str:
    url = order.get("platform_url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise Refused(400, "platform_url must be an http(s) URL")
    return url


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._reply(status, json.dumps(value, ensure_ascii=False).encode(), "application/json")

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise Refused(413, f"at most {MAX_BODY_BYTES} bytes")
        return self.rfile.read(int(length))

    def do_GET(self) -> None:
        issuer = self.server.issuer
        if self.path == "/key":
            self._reply(200, issuer.key.public_key().to_pem(), "application/x-pem-file")
        elif self.path == "/_control/claims":
            with issuer.lock:
                claims = [dict(record) for record in issuer.claims.values()]
            self._json(200, {"claims": claims})
        elif self.path == "/_control/health":
            self._json(
                200,
                {"credit_code": issuer.credit_code, "key": issuer.key.public_key().fingerprint()},
            )
        else:
            self._json(404, {"error": "no such path"})

    def do_POST(self) -> None:
        issuer = self.server.issuer
        try:
            body = self._body()
            if self.path == "/claims":
                answer = issuer.receive_claim(body, self.headers)
                signature = issuer.key.sign(answer).hex()
                self._reply(
                    200, answer, "application/json", **{protocol.HEADER_SIGNATURE: signature}
                )
                return
            order = json.loads(body.decode("utf-8") or "{}") if body else {}
            if not isinstance(order, dict):
                raise Refused(400, "send a JSON object")
            if self.path == "/_control/issue":
                self._json(200, issuer.issue(order))
            elif self.path == "/_control/revoke":
                self._json(200, issuer.revoke(order))
            elif self.path == "/_control/replay":
                self._json(200, issuer.replay())
            elif self.path == "/_control/platform-key":
                self._json(200, {"trusted": issuer.trust(str(order.get("pem", "")).encode())})
            elif self.path == "/_control/fail-claims":
                with issuer.lock:
                    issuer.fail_claims = int(order.get("count", 1))
                self._json(200, {"fail_claims": issuer.fail_claims})
            else:
                self._json(404, {"error": "no such path"})
        except Refused as exc:
            self._json(exc.status, {"error": str(exc)})
        except (ValueError, UnicodeDecodeError) as exc:
            self._json(400, {"error": f"bad request: {exc}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], issuer: Issuer) -> None:
        super().__init__(address, Handler)
        self.issuer = issuer
