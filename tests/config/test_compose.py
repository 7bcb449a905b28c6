"""docker/: the production compose file, its nginx and its image, checked without docker.

`docker compose config` is not available here, so compose.yml is interpolated the way compose
does it (from docker/.env.example) and validated against the official Compose Specification
schema (tests/config/vendor/), and the facts that matter for a trading centre are asserted:
health checks, the upload route streamed, no secret in the file, the variables in step.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import re
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from bidding.rules import MAX_PART_BYTES

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
VENDOR = Path(__file__).resolve().parent / "vendor"
# What the application reads from the environment but a production .env must not set: DEBUG is
# off in production, the xdist worker is pytest's, MEDIA_ROOT is for file storage (compose
# uses S3).
NOT_FOR_PRODUCTION = {"DEBUG", "PYTEST_XDIST_WORKER", "MEDIA_ROOT"}
# Names whose value is a credential (API_TOKEN_DAYS is not; PLATFORM_SIGNING_KEY_FILE is a path).
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN$|AUTH|ACCESS_KEY|_KEY$")
# The one credential whose (public, simulator-only) default .env.example shows, commented out.
SIMULATOR_DEFAULTS = {"BANK_SECRET"}
ONE_SHOT_CONDITION = "service_completed_successfully"
# `$$` (a literal dollar), ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
# ${NAME?error}, ${NAME:+alternative}, $NAME — compose's interpolation grammar.
INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
ENV_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
SETTINGS_READ = re.compile(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"")


class MissingVariable(ValueError):
    pass


def load_healthcheck() -> ModuleType:
    """docker/healthcheck.py, which is a script in the image, not a package."""
    spec = importlib.util.spec_from_file_location("ggzy_healthcheck", DOCKER / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = load_healthcheck()


def interpolate_text(text: str, values: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op") or "", match.group("arg") or ""
        value = values.get(name)
        unset_or_empty = not value
        if op in {":-", "-"}:
            return arg if (unset_or_empty if op == ":-" else value is None) else str(value)
        if op in {":?", "?"}:
            if unset_or_empty if op == ":?" else value is None:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        if op == ":+":
            return "" if unset_or_empty else arg
        return value or ""

    return INTERPOLATION.sub(substitute, text)


def interpolate(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate_text(node, values)
    if isinstance(node, list):
        return [interpolate(item, values) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(item, values) for key, item in node.items()}
    return node


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from strings(item)


def variables_read(node: Any) -> set[str]:
    names = set()
    for text in strings(node):
        for match in INTERPOLATION.finditer(text):
            name = match.group("braced") or match.group("bare")
            if name:
                names.add(name)
    return names


def env_example() -> dict[str, str]:
    values = {}
    for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def compose_raw() -> dict[str, Any]:
    loaded = yaml.safe_load((DOCKER / "compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def filled_in_values() -> dict[str, str]:
    """.env.example with every required (empty) value filled in, as an operator would."""
    return {name: value or f"filled-in-{name.lower()}" for name, value in env_example().items()}


def compose() -> dict[str, Any]:
    interpolated = interpolate(compose_raw(), filled_in_values())
    assert isinstance(interpolated, dict)
    return interpolated


def schema() -> dict[str, Any]:
    loaded = json.loads((VENDOR / "compose-spec.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def schema_errors(document: Mapping[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def one_shots() -> set[str]:
    return {name for name, service in services().items() if service.get("restart") == "no"}


def dockerfile() -> str:
    return (DOCKER / "Dockerfile").read_text(encoding="utf-8")


def dockerfile_cmd() -> list[str]:
    match = re.search(r"^CMD (\[.*\])$", dockerfile(), re.MULTILINE)
    assert match, "the Dockerfile has an exec-form CMD"
    command = json.loads(match.group(1))
    assert isinstance(command, list)
    return command


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def nginx_blocks() -> dict[str, str]:
    """Each `location` block of nginx.conf by its path, and the 443 server's own lines."""
    text = re.sub(r"#[^\n]*", "", (DOCKER / "nginx.conf").read_text(encoding="utf-8"))
    tls_server = text[text.index("listen 443") :]
    blocks = {
        match.group(1).strip(): match.group(2)
        for match in re.finditer(r"location\s+([^{]+)\{([^}]*)\}", tls_server)
    }
    blocks["server"] = re.sub(r"location\s+[^{]+\{[^}]*\}", "", tls_server)
    return blocks


def directive(block: str, name: str) -> str | None:
    match = re.search(rf"(?:^|[;\s]){name}\s+([^;]+);", block)
    return match.group(1).strip() if match else None


def size_in_bytes(value: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    unit = value[-1].lower()
    return int(value[:-1]) * units[unit] if unit in units else int(value)


def seconds(value: str) -> int:
    return int(value.removesuffix("s"))


# --- the schema ----------------------------------------------------------------------------


def test_it_vendors_the_compose_schema_with_the_digest_its_readme_names() -> None:
    digest = hashlib.sha256((VENDOR / "compose-spec.json").read_bytes()).hexdigest()
    assert digest in (VENDOR / "README.md").read_text(encoding="utf-8")


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


def test_the_schema_check_would_catch_a_misspelt_health_check() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["daphne"]["healthcheck"]["intervall"] = "5s"
    assert any("intervall" in error for error in schema_errors(broken))


def test_it_refuses_to_start_without_a_required_secret() -> None:
    values = filled_in_values()
    values["POSTGRES_PASSWORD"] = ""
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        interpolate(compose_raw(), values)


# --- services, health, order ---------------------------------------------------------------


def test_every_service_has_a_health_check_or_is_a_one_shot() -> None:
    unchecked = [
        name
        for name, service in services().items()
        if "healthcheck" not in service and service.get("restart") != "no"
    ]
    assert unchecked == []
    assert one_shots() == {"migrate", "createbucket", "backup", "backup-objects"}


def test_it_starts_a_service_only_after_what_it_depends_on_is_healthy_or_done() -> None:
    for name, service in services().items():
        for dependency, how in service.get("depends_on", {}).items():
            expected = ONE_SHOT_CONDITION if dependency in one_shots() else "service_healthy"
            assert how == {"condition": expected}, f"{name} → {dependency}"


def test_it_runs_the_app_processes_as_the_topology_needs_them() -> None:
    found = services()
    assert int(found["daphne"]["deploy"]["replicas"]) >= 2
    assert "replicas" not in found["beat"].get("deploy", {})  # one beat, ever
    assert found["redis"]["command"][-1].startswith("exec redis-server --appendonly yes")
    assert {"daphne", "worker", "beat", "migrate"} <= {
        name for name, service in found.items() if service.get("read_only") is True
    }


def test_the_back_ups_run_only_on_demand() -> None:
    for name in ("backup", "backup-objects"):
        assert services()[name]["profiles"] == ["backup"]
    assert services()["backup"]["command"] == ["scripts/backup", "/backups"]
    assert (ROOT / "scripts" / "backup").stat().st_mode & 0o111


def test_only_nginx_publishes_ports_and_the_data_network_is_internal() -> None:
    assert [name for name, service in services().items() if "ports" in service] == ["nginx"]
    assert compose()["networks"]["data"]["internal"] is True
    for name in ("postgres", "redis", "minio"):
        assert services()[name]["networks"] == ["data"]


def test_the_daphne_command_is_the_images_with_the_same_limits() -> None:
    command = services()["daphne"]["command"]
    assert command == dockerfile_cmd()
    assert option(command, "--websocket-max-message-size") == "65536"


def test_the_worker_keeps_the_node_name_its_health_check_looks_for() -> None:
    worker = services()["worker"]
    assert not any(word.startswith(("--hostname", "-n")) for word in worker["command"])
    assert worker["healthcheck"]["test"] == ["CMD", "python", "manage.py", "health", "worker"]


def test_each_process_names_its_role_for_the_logs() -> None:
    roles = {
        name: service["environment"].get("GGZY_PROCESS_ROLE")
        for name, service in services().items()
        if name in {"daphne", "worker", "beat", "migrate"}
    }
    assert roles == {"daphne": "web", "worker": "worker", "beat": "beat", "migrate": "command"}


# --- secrets -------------------------------------------------------------------------------


def test_no_secret_is_written_in_the_compose_file() -> None:
    literal = []
    for name, service in compose_raw()["services"].items():
        environment = service.get("environment", {}) if isinstance(service, dict) else {}
        for key, value in (environment or {}).items():
            if SECRET_NAME.search(key) and "${" not in str(value):
                literal.append(f"{name}.{key}")
    assert literal == []
    for credential in ("DATABASE_URL", "REDIS_URL"):
        assert "${" in compose_raw()["x-app"]["environment"][credential]


def test_every_secret_a_service_mounts_is_a_file_under_docker_secrets() -> None:
    declared = compose()["secrets"]
    for name, service in services().items():
        for secret in service.get("secrets", []):
            assert declared[secret]["file"].startswith("./secrets/"), f"{name}: {secret}"
    ignored = (DOCKER / "secrets" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignored


def test_the_app_never_receives_the_object_stores_root_credentials() -> None:
    app = services()["daphne"]
    assert not {"minio_root_user", "minio_root_password"} & set(app["secrets"])
    assert not any("MINIO_ROOT" in key for key in app["environment"])


def test_the_apps_object_store_user_is_allowed_its_bucket_and_nothing_else() -> None:
    bucket = services()["daphne"]["environment"]["AWS_STORAGE_BUCKET_NAME"]
    policy = json.loads((DOCKER / "minio" / "ggzy-app-policy.json").read_text(encoding="utf-8"))
    resources = {resource for rule in policy["Statement"] for resource in rule["Resource"]}
    assert resources == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
    assert all(rule["Effect"] == "Allow" for rule in policy["Statement"])
    assert not any(
        action.startswith("s3:*") or "Policy" in action
        for rule in policy["Statement"]
        for action in rule["Action"]
    )


# --- variables -----------------------------------------------------------------------------


def test_every_variable_compose_reads_is_in_env_example() -> None:
    assert variables_read(compose_raw()) - set(env_example()) == set()


def test_every_variable_in_env_example_is_read_by_compose_or_by_the_settings() -> None:
    settings_text = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    read = variables_read(compose_raw()) | set(SETTINGS_READ.findall(settings_text))
    assert set(env_example()) - read == set()


def test_every_setting_read_from_the_environment_is_in_env_example_or_set_by_compose() -> None:
    settings_text = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    set_by_compose = set(compose_raw()["x-app"]["environment"])
    unlisted = set(SETTINGS_READ.findall(settings_text)) - set(env_example()) - set_by_compose
    assert unlisted - NOT_FOR_PRODUCTION == set()


def test_env_example_holds_no_value_for_a_secret() -> None:
    for name, value in env_example().items():
        if SECRET_NAME.search(name) and name not in SIMULATOR_DEFAULTS:
            assert value == "", name


# --- nginx ---------------------------------------------------------------------------------


def test_nginx_streams_uploads_to_daphne_and_lets_a_whole_part_through() -> None:
    upload = nginx_blocks()["/api/bids/uploads"]
    assert directive(upload, "proxy_request_buffering") == "off"
    limit = directive(upload, "client_max_body_size")
    assert limit is not None and size_in_bytes(limit) >= MAX_PART_BYTES


def test_nginx_buffers_requests_and_keeps_the_small_limit_everywhere_but_uploads() -> None:
    blocks = nginx_blocks()
    unbuffered = [path for path, block in blocks.items() if "proxy_request_buffering" in block]
    assert unbuffered == ["/api/bids/uploads"]
    general = directive(blocks["server"], "client_max_body_size")
    upload = directive(blocks["/api/bids/uploads"], "client_max_body_size")
    assert general is not None and upload is not None
    assert size_in_bytes(general) < size_in_bytes(upload)


def test_nginx_upgrades_websockets_and_outlasts_daphnes_pings() -> None:
    blocks = nginx_blocks()
    assert directive(blocks["server"], "proxy_set_header Upgrade") == "$http_upgrade"
    assert directive(blocks["server"], "proxy_set_header Connection") == "$connection_upgrade"
    read_timeout = directive(blocks["/ws/"], "proxy_read_timeout")
    assert read_timeout is not None
    assert seconds(read_timeout) > int(option(dockerfile_cmd(), "--ping-interval"))


def test_the_halls_websockets_have_daphne_processes_of_their_own() -> None:
    found = services()
    assert found["daphne-hall"]["command"] == found["daphne"]["command"]
    assert found["daphne-hall"]["healthcheck"] == found["daphne"]["healthcheck"]
    assert int(found["daphne-hall"]["deploy"]["replicas"]) >= 2
    blocks = nginx_blocks()
    assert directive(blocks["/ws/"], "proxy_pass") == "http://ggzy_hall"
    assert directive(blocks["/"], "proxy_pass") == "http://ggzy_daphne"


def test_no_nginx_location_drops_the_forwarded_headers() -> None:
    # A location with one proxy_set_header of its own inherits none of the server's.
    setting = [path for path, block in nginx_blocks().items() if "proxy_set_header" in block]
    assert setting == ["server"]
    assert directive(nginx_blocks()["server"], "proxy_set_header X-Forwarded-Proto") == "https"


def test_nginx_does_not_publish_metrics_or_health() -> None:
    blocks = nginx_blocks()
    assert directive(blocks["= /metrics"], "return") == "404"
    assert directive(blocks["= /healthz"], "return") == "404"


# --- the image -----------------------------------------------------------------------------


def test_the_image_is_built_from_exact_tags_and_runs_as_a_user_that_is_not_root() -> None:
    text = dockerfile()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base.group(1))
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert "HEALTHCHECK" in text
    assert "--constraint requirements.lock" in text


def test_every_compose_image_is_pinned_to_a_release() -> None:
    for name, service in services().items():
        image = service.get("image", "")
        if "build" in service:
            continue
        tag = image.rpartition(":")[2]
        assert tag != image and tag != "latest", name
        # PostgreSQL's minor releases have two numbers (15.13): that is its exact release.
        exact = r"^\d+\.\d+-" if image.startswith("postgres:") else r"\d+\.\d+\.\d+|RELEASE\.\d{4}"
        assert re.search(exact, tag), f"{name}: {image}"


# --- the health check script ---------------------------------------------------------------


class HealthAnswer(BaseHTTPRequestHandler):
    status = 200
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # the name http.server calls
        HealthAnswer.seen.append(dict(self.headers))
        self.send_response(HealthAnswer.status)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def health_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), HealthAnswer)  # a free port, named by the server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/healthz"
    server.shutdown()
    server.server_close()


def test_the_health_check_passes_on_200_as_nginx_would_ask(health_server: str) -> None:
    HealthAnswer.status, HealthAnswer.seen = 200, []
    assert healthcheck.check(health_server, host="ggzy.example.gov.cn") is None
    assert HealthAnswer.seen[0]["Host"] == "ggzy.example.gov.cn"
    assert HealthAnswer.seen[0]["X-Forwarded-Proto"] == "https"


def test_the_health_check_fails_naming_the_status(health_server: str) -> None:
    HealthAnswer.status = 503
    assert healthcheck.check(health_server, host="localhost") == f"{health_server} answered 503"


def test_the_health_check_fails_when_nothing_answers() -> None:
    problem = healthcheck.check("http://127.0.0.1:57399/healthz", host="localhost")
    assert problem is not None and "did not answer" in problem


def test_the_health_check_uses_the_first_concrete_allowed_host() -> None:
    assert healthcheck.host_header("*, .ggzy.example.gov.cn,other") == "ggzy.example.gov.cn"
    assert healthcheck.host_header("") == "localhost"


def test_compose_and_the_image_run_the_same_health_check() -> None:
    test = services()["daphne"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "/app/docker/healthcheck.py"]
    assert 'CMD ["python", "/app/docker/healthcheck.py"]' in dockerfile()


# --- the operations guide ------------------------------------------------------------------


def test_every_command_and_script_the_operations_guide_names_exists() -> None:
    from django.core.management import get_commands

    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"manage\.py (\w+)", guide))
    assert {"verify_ledger", "export_ledger", "ledger_checkpoint", "health"} <= commands
    assert commands - set(get_commands()) == set()
    scripts = set(re.findall(r"scripts/([\w-]+(?:\.py)?)", guide))
    assert {"backup", "restore"} <= scripts
    assert [name for name in scripts if not (ROOT / "scripts" / name).is_file()] == []
