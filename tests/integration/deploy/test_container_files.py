"""The container wiring: docker-compose.yml and the Dockerfile, read as files.

The development machines have no Docker engine, so nothing here builds an
image or starts a container. These tests catch, at `make test`, the wiring
mistakes that would otherwise only show at `docker compose up`: a service that
starts too early, the API bypassing the pooler, an environment variable the
settings never read, an image running as root. The liveness probe is the one
piece that runs for real, against a local HTTP server.
"""

import importlib
import json
import re
import secrets
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, cast
from urllib.parse import urlsplit

import pytest

from infrastructure.settings import Settings
from tests.support.paths import PROJECT_ROOT

# PyYAML ships no type information (and types-PyYAML is not in the lock).
_yaml_safe_load = cast(Callable[[str], object], importlib.import_module("yaml").safe_load)

COMPOSE: Final = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE: Final = PROJECT_ROOT / "Dockerfile"
SETTINGS_NAMES: Final = frozenset(name.upper() for name in Settings.model_fields)
JWT_SECRET_FOR_TESTS: Final = secrets.token_urlsafe(48)
API_SERVICES: Final = ("api-1", "api-2")
HAPROXY_CONFIG: Final = "deploy/haproxy.cfg"


# --- docker-compose.yml ------------------------------------------------------


def _mapping(value: object, what: str) -> dict[str, object]:
    assert isinstance(value, dict), f"{what} should be a mapping, got {value!r}"
    return {str(key): item for key, item in value.items()}


def _compose() -> dict[str, object]:
    return _mapping(_yaml_safe_load(COMPOSE.read_text()), "docker-compose.yml")


def _service(name: str) -> dict[str, object]:
    services = _mapping(_compose().get("services"), "services")
    return _mapping(services.get(name), f"service {name!r}")


def _environment(service: str) -> dict[str, str]:
    """A service's environment, from either the mapping or the KEY=VALUE list form."""
    raw = _service(service).get("environment", {})
    if isinstance(raw, list):
        return dict(str(item).partition("=")[::2] for item in raw)
    return {key: str(value) for key, value in _mapping(raw, f"{service} environment").items()}


def _depends_on(service: str) -> dict[str, str]:
    """Each dependency with its condition (the list form means service_started)."""
    raw = _service(service).get("depends_on", {})
    if isinstance(raw, list):
        return {str(name): "service_started" for name in raw}
    return {
        name: str(_mapping(options, f"{service} depends_on {name}").get("condition"))
        for name, options in _mapping(raw, f"{service} depends_on").items()
    }


_VARIABLE: Final = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def _interpolate(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Expand `${NAME}`, `${NAME:-default}` and `${NAME:?error}` as Compose does."""

    def expand(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        given = (environ or {}).get(name)
        if given is not None and (given or op is None or not op.startswith(":")):
            return given
        if op is not None and op.endswith("?"):
            raise KeyError(f"{name} is required: {arg}")
        return arg if op is not None else ""

    return _VARIABLE.sub(expand, value).replace("$$", "$")


def _url(service: str) -> tuple[str | None, int | None, str]:
    url = urlsplit(_interpolate(_environment(service)["DATABASE_URL"]))
    return url.hostname, url.port, url.path.lstrip("/")


def _healthcheck_test(service: str) -> list[str]:
    """The healthcheck's command; empty when there is none, or it is disabled."""
    check = _mapping(_service(service).get("healthcheck", {}), f"{service} healthcheck")
    test = check.get("test")
    if check.get("disable") is True or test is None or test == ["NONE"]:
        return []
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    assert isinstance(test, list), f"{service} healthcheck test: {test!r}"
    return [str(part) for part in test]


def test_the_stack_has_its_services() -> None:
    services = _mapping(_compose().get("services"), "services")
    assert {"db", "migrate", "pgbouncer", *API_SERVICES, "haproxy"} <= services.keys()


def test_migrate_runs_once_after_the_database_is_healthy() -> None:
    assert _depends_on("migrate").get("db") == "service_healthy"
    assert _service("migrate").get("command") == ["python", "-m", "interfaces", "migrate"]
    assert _service("migrate").get("restart", "no") == "no"


def test_the_api_starts_after_the_migration_and_the_pooler() -> None:
    for api in API_SERVICES:
        depends = _depends_on(api)
        assert depends.get("migrate") == "service_completed_successfully"
        assert depends.get("pgbouncer") in {"service_healthy", "service_started"}


def test_the_two_api_instances_are_alike() -> None:
    first, second = (_service(api) for api in API_SERVICES)
    assert first == second
    # One secret signs tokens and cursors for both, so either accepts the other's.
    assert _environment("api-1")["JWT_SECRET"] == _environment("api-2")["JWT_SECRET"]


def test_haproxy_balances_the_two_instances_with_the_tested_configuration() -> None:
    mounts = _service("haproxy").get("volumes")
    assert mounts == [f"./{HAPROXY_CONFIG}:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    environment = _environment("haproxy")
    # The same file tests/integration/deploy/test_rolling_restart.py runs, its addresses
    # from the environment; every variable it reads is given here.
    config = (PROJECT_ROOT / HAPROXY_CONFIG).read_text()
    assert set(re.findall(r"\$\{(\w+)\}", config)) == environment.keys()
    port = _dockerfile_env().get("PORT", "8000")
    assert [environment["API_1"], environment["API_2"]] == [f"{api}:{port}" for api in API_SERVICES]
    assert environment["HAPROXY_BIND"] == f":{port}"
    assert "option httpchk GET /health/ready" in config
    assert all(_depends_on("haproxy").get(api) == "service_healthy" for api in API_SERVICES)


def test_every_service_healthy_condition_has_a_healthcheck() -> None:
    services = _mapping(_compose().get("services"), "services")
    for name in services:
        for dependency, condition in _depends_on(name).items():
            if condition == "service_healthy":
                assert _healthcheck_test(dependency), f"{name} waits on {dependency}'s health"


def test_the_database_has_a_healthcheck_and_a_declared_named_volume() -> None:
    assert "pg_isready" in " ".join(_healthcheck_test("db"))
    declared = _mapping(_compose().get("volumes"), "top-level volumes")
    mounts: dict[str, str] = {}
    volumes = _service("db").get("volumes", [])
    assert isinstance(volumes, list), f"db volumes: {volumes!r}"
    for volume in volumes:
        if isinstance(volume, str):
            source, _, target = volume.partition(":")
            mounts[target.split(":")[0]] = source
        else:
            long_form = _mapping(volume, "db volume")
            mounts[str(long_form.get("target"))] = str(long_form.get("source"))
    # PostgreSQL 18 images keep PGDATA in a versioned directory under this path.
    data = mounts.get("/var/lib/postgresql")
    assert data is not None, f"db mounts nothing at /var/lib/postgresql: {mounts}"
    assert not data.startswith(("/", ".", "~")), "a named volume, not a bind mount"
    assert data in declared


def test_pgbouncer_pools_transactions_and_tracks_prepared_statements() -> None:
    environment = _environment("pgbouncer")
    # edoburu/pgbouncer names; bitnami/pgbouncer prefixes them with PGBOUNCER_.
    setting = {key.removeprefix("PGBOUNCER_"): value for key, value in environment.items()}
    assert setting.get("POOL_MODE") == "transaction"
    assert int(_interpolate(setting.get("MAX_PREPARED_STATEMENTS", "0"))) > 0
    listen_port = setting.get("LISTEN_PORT", setting.get("PORT"))
    assert listen_port is not None, "PgBouncer listens on its image's default port"
    assert int(_interpolate(listen_port)) == _url("api-1")[1]
    assert _interpolate(setting.get("DB_HOST", setting.get("DATABASE_HOST", ""))) == "db"


def test_the_api_goes_through_pgbouncer_and_migrations_go_straight_to_the_database() -> None:
    for api in API_SERVICES:
        assert _url(api)[:2] == ("pgbouncer", 6432)
        assert _url(api)[2] == _url("migrate")[2] == _environment("pgbouncer").get("DB_NAME")
    assert _url("migrate")[:2] == ("db", 5432)


def test_the_app_is_given_only_names_the_settings_read() -> None:
    image_variables = _environment("db").keys() | _environment("pgbouncer").keys()
    for service in (*API_SERVICES, "migrate"):
        unknown = _environment(service).keys() - image_variables - SETTINGS_NAMES
        assert not unknown, f"{service} sets variables no setting reads: {sorted(unknown)}"


def test_the_api_environment_with_the_image_makes_valid_production_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SETTINGS_NAMES:
        monkeypatch.delenv(name, raising=False)
    environ = {"JWT_SECRET": JWT_SECRET_FOR_TESTS}
    for name, value in {**_dockerfile_env(), **_environment("api-1")}.items():
        monkeypatch.setenv(name, _interpolate(value, environ))
    settings = Settings(_env_file=None)
    assert (settings.environment, settings.host) == ("production", "0.0.0.0")  # noqa: S104
    assert settings.workers >= 1
    # Behind transaction pooling: what tests/integration/deploy/test_pgbouncer.py proves.
    assert settings.db_prepared_statements is False


def test_jwt_secret_is_required_and_passwords_are_only_local_defaults() -> None:
    for service in (*API_SERVICES, "migrate"):
        assert re.fullmatch(r"\$\{JWT_SECRET:\?[^}]+\}", _environment(service)["JWT_SECRET"])
        with pytest.raises(KeyError, match="JWT_SECRET"):
            _interpolate(_environment(service)["JWT_SECRET"])
    assert re.fullmatch(r"\$\{WORKERS:-\d+\}", _environment("api-1")["WORKERS"])
    services = _mapping(_compose().get("services"), "services")
    for service in services:
        for name, value in _environment(service).items():
            if "PASSWORD" in name or "SECRET" in name:
                assert _VARIABLE.fullmatch(value), f"{service} {name} is a literal"
            if name == "DATABASE_URL":
                password = urlsplit(value).password or ""
                assert _VARIABLE.fullmatch(password), f"{service} has a literal password"


def test_only_the_load_balancer_is_published_and_only_on_loopback() -> None:
    services = _mapping(_compose().get("services"), "services")
    published = {
        name: _service(name).get("ports") for name in services if "ports" in _service(name)
    }
    assert published == {"haproxy": ["127.0.0.1:8000:8000"]}


# --- Dockerfile ----------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def _instructions() -> list[Instruction]:
    """The Dockerfile's instructions, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    assert not current, "the Dockerfile ends inside a continuation"
    parsed = [line.split(maxsplit=1) for line in logical]
    return [Instruction(words[0].upper(), words[1] if len(words) > 1 else "") for words in parsed]


def _stages() -> list[list[Instruction]]:
    """The instructions of each stage, each list starting with its FROM."""
    stages: list[list[Instruction]] = []
    for instruction in _instructions():
        if instruction.keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _final(keyword: str) -> list[Instruction]:
    return [each for each in _stages()[-1] if each.keyword == keyword]


def _dockerfile_env() -> dict[str, str]:
    """The final stage's ENV, in either the KEY=VALUE or the legacy KEY VALUE form."""
    environment: dict[str, str] = {}
    for instruction in _final("ENV"):
        words = shlex.split(instruction.arguments)
        if "=" not in words[0]:
            environment[words[0]] = " ".join(words[1:])
            continue
        environment.update(word.partition("=")[::2] for word in words)
    return environment


def _exec_form(arguments: str) -> list[str]:
    command = json.loads(arguments)
    assert isinstance(command, list), f"not an exec-form array: {arguments}"
    return [str(part) for part in command]


def _image_healthcheck() -> list[str]:
    (healthcheck,) = _final("HEALTHCHECK")
    _options, separator, command = healthcheck.arguments.partition(" CMD ")
    assert separator, f"HEALTHCHECK without CMD: {healthcheck.arguments}"
    return ["CMD", *_exec_form(command)]


def test_the_image_is_built_in_stages_on_python_311() -> None:
    instructions = _instructions()
    global_args = dict(
        each.arguments.partition("=")[::2]
        for each in instructions[: [i.keyword for i in instructions].index("FROM")]
        if each.keyword == "ARG"
    )
    bases = [_interpolate(stage[0].arguments.split()[0], global_args) for stage in _stages()]
    assert len(bases) >= 2
    # The virtualenv links to the base image's interpreter: both ends must match.
    assert bases[0] == bases[-1]
    assert bases[-1].startswith("python:3.11")


def test_the_image_installs_the_runtime_lock_with_hashes() -> None:
    text = DOCKERFILE.read_text()
    assert "requirements-dev.lock" not in text
    installs = [each.arguments for stage in _stages() for each in stage if each.keyword == "RUN"]
    assert any(
        "pip install" in run
        and "--require-hashes" in run
        and re.search(r"-r \S*requirements\.lock", run)
        for run in installs
    )


def test_the_runtime_lock_has_no_dev_tools_and_no_extras() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    extras: dict[str, list[str]] = pyproject["project"]["optional-dependencies"]
    dev_only = {
        re.split(r"[\[<>=!~ ;]", requirement)[0].lower().replace("_", "-")
        for requirement in extras["dev"] + extras["embedded"] + extras["seed"]
    }
    # The redis extra is limits' own extra: what it adds is coredis.
    dev_only |= {"coredis"}
    lock = (PROJECT_ROOT / "requirements.lock").read_text()
    locked = {name.lower() for name in re.findall(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)}
    assert locked, "requirements.lock pins nothing"
    assert not locked & dev_only


def test_the_image_runs_as_a_non_root_user() -> None:
    users = _final("USER")
    assert users, "the final stage sets no USER"
    user = users[-1].arguments.split(":")[0]
    assert user not in {"root", "0"}


def test_the_image_installs_the_service_as_a_wheel_without_tests() -> None:
    build = _stages()[0]
    copies = " ".join(each.arguments for each in build if each.keyword == "COPY")
    for path in ("pyproject.toml", "domain", "application", "infrastructure", "interfaces"):
        assert re.search(rf"(^|\s){path}/?\s", copies + " "), f"{path} is not copied"
    assert not re.search(r"(^|\s)\.?/?tests\b", copies), "the image ships no tests"
    runs = " ".join(each.arguments for each in build if each.keyword == "RUN")
    # The lock brought every dependency: the wheel must not resolve any of its own.
    assert re.search(r"pip install --no-deps \S+\.whl", runs)
    assert "pip check" in runs
    final_copies = [each.arguments for each in _final("COPY")]
    assert final_copies == ["--from=build /opt/venv /opt/venv"], (
        "the final stage takes the venv only"
    )


def test_the_image_serves_the_api_in_production_on_every_interface() -> None:
    (cmd,) = _final("CMD")
    # Exec form, so that python is PID 1 and gets SIGTERM for a graceful shutdown.
    assert _exec_form(cmd.arguments) == ["python", "-m", "interfaces", "serve"]
    environment = _dockerfile_env()
    assert environment.get("ENVIRONMENT") == "production"
    assert environment.get("HOST") == "0.0.0.0"  # noqa: S104 - inside the container
    python_and_shell = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert environment.keys() - python_and_shell <= SETTINGS_NAMES


def test_the_dockerignore_keeps_local_state_out() -> None:
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".data", "tests", ".hypothesis", ".env"} <= ignored


# --- The liveness probe, run for real -----------------------------------------


def _probe_code(test: list[str]) -> str:
    """The Python source a healthcheck hands to `python -c`."""
    assert test[:3] == ["CMD", "python", "-c"], f"not a python -c probe: {test}"
    return test[3]


def test_the_image_and_compose_probe_liveness_the_same_way() -> None:
    image_probe = _probe_code(_image_healthcheck())
    assert "/health/live" in image_probe
    # Slim images have neither curl nor wget.
    assert not {"curl", "wget"} & set(re.findall(r"\w+", image_probe))
    assert _probe_code(_healthcheck_test("api-1")) == image_probe


@contextmanager
def _server(live_status: int) -> Iterator[int]:
    """A local HTTP server answering `live_status` on /health/live and 404 elsewhere."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(live_status if self.path == "/health/live" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads exit codes, not access lines."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_probe(port: int) -> int:
    # The container's view: nothing in the environment but PORT (no proxies).
    return subprocess.run(
        [sys.executable, "-c", _probe_code(_image_healthcheck())],
        env={"PORT": str(port)},
        capture_output=True,
        timeout=30,
        check=False,
    ).returncode


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (500, False)])
def test_the_probe_passes_only_when_liveness_answers_2xx(status: int, healthy: bool) -> None:
    with _server(status) as port:
        assert (_run_probe(port) == 0) is healthy


def test_the_probe_fails_when_nothing_listens() -> None:
    with _server(200) as port:
        pass  # closed: the port is free again
    assert _run_probe(port) != 0
