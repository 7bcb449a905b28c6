"""Every response carries a Content-Security-Policy without inline script, and no template
can bring inline script, event handlers or style attributes back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Person
from tests.conftest import client_for
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy_of(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict(policy: dict[str, list[str]], *, page: str) -> None:
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, page
    assert policy["default-src"] == ["'self'"], page
    assert policy["frame-ancestors"] == ["'none'"], page
    assert policy["form-action"] == ["'self'"], page
    assert policy["base-uri"] == ["'none'"], page
    assert policy["object-src"] == ["'none'"], page
    assert "'self'" in policy["connect-src"], page


def parameterless_routes() -> list[str]:
    """Every route the resolver knows that takes no argument (the rest are tested below)."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif "<" not in route and "(" not in route and "^" not in route:
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def test_the_route_list_is_not_empty() -> None:
    routes = parameterless_routes()
    assert "/" in routes and "/accounts/login/" in routes and "/api/docs/" in routes


@pytest.mark.parametrize("as_person", [False, True], ids=["anonymous", "logged in"])
def test_every_parameterless_page_carries_a_strict_policy(as_person: bool, owner: Person) -> None:
    client = client_for(owner) if as_person else Client()
    for route in parameterless_routes():
        response = client.get(route)
        assert "Content-Security-Policy" in response, route
        assert_strict(policy_of(response), page=route)
        assert response["X-Frame-Options"] == "DENY", route
        assert response["Referrer-Policy"] == "same-origin", route


def test_pages_of_a_section_carry_a_strict_policy(
    published: Section,  # noqa: F811
    owner: Person,
) -> None:
    client = client_for(owner)
    for url in (
        reverse("trading:section", args=[published.code]),
        reverse("realtime:hall", args=[published.code]),
        reverse("bidding:upload", args=[published.code]),
        reverse("bidding:my_bids"),
        reverse("accounts:keys", args=[owner.organisation_id]),
        reverse("accounts:people", args=[owner.organisation_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(policy_of(response), page=url)


def test_error_pages_carry_the_policy_too(owner: Person) -> None:
    for response in (
        Client().get("/no-such-page/"),
        client_for(owner).get(reverse("accounts:organisation_edit", args=[999_999])),
    ):
        assert response.status_code == 404
        assert_strict(policy_of(response), page="404")


def test_the_websocket_of_the_hall_is_allowed_for_the_sites_own_hosts_only() -> None:
    sources = policy_of(Client().get("/"))["connect-src"]
    assert "wss://localhost:*" in sources and "wss://127.0.0.1:*" in sources  # ALLOWED_HOSTS
    assert not {"ws:", "wss:", "*", "https:", "http:"} & set(sources)


def test_the_api_docs_load_their_script_from_a_url_not_inline() -> None:
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert_strict(policy_of(page), page="/api/docs/")
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(src|type=\"application/json\")=?)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


@pytest.mark.parametrize(
    "template",
    sorted(TEMPLATES.rglob("*.html")),
    ids=lambda path: str(path.relative_to(TEMPLATES)),
)
def test_no_template_has_inline_script_handlers_or_styles(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("inline event handler", EVENT_HANDLER),
        ("inline style", STYLE),
        ("javascript: URL", JS_URL),
    ):
        match = pattern.search(text)
        assert match is None, f"{name} in {template.name}: {match.group(0) if match else ''}"
