"""The service as a distribution: its wheel, installed into a fresh virtualenv, serves.

The virtualenv gets the runtime lock (requirements.lock, with hashes: what the
production image installs, no extras) and then the wheel without dependencies,
so a runtime dependency missing from the lock or from pyproject.toml fails
here. Everything runs from a temporary working directory, away from the
checkout: what answers is the installed copy. The virtualenv is built once for
the module (about half a minute, most of it pip).
"""

import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import pytest

from infrastructure.settings import DISTRIBUTION
from tests.conftest import libpq_url
from tests.support.live_server import command_environment, served_by
from tests.support.paths import PROJECT_ROOT

pytestmark = pytest.mark.install

LAYERS: Final = ("domain", "application", "infrastructure", "interfaces")
MIGRATIONS: Final = "infrastructure/persistence/migrations"
PIP_TIMEOUT_SECONDS: Final = 300
COMMAND_TIMEOUT_SECONDS: Final = 60


def _run(
    *command: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=PIP_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _outside_the_checkout(**overrides: str) -> dict[str, str]:
    """The command line's test environment, with no PYTHONPATH that could lead Python back
    to the checkout (an empty one is ignored)."""
    return command_environment(PYTHONPATH="", **overrides)


@dataclass(frozen=True)
class Installed:
    """A virtualenv with the runtime lock and the service's wheel, and a folder to run in."""

    venv: Path
    workdir: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def console_script(self) -> Path:
        return self.venv / "bin" / "users-posts"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from the checkout by the build backend pyproject.toml names."""
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, PROJECT_ROOT, cwd=out)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    lock = PROJECT_ROOT / "requirements.lock"
    _run(python, "-m", "pip", "install", "-q", "--require-hashes", "-r", lock, cwd=root)
    _run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=root)
    _run(python, "-m", "pip", "check", cwd=root)
    workdir = root / "work"
    workdir.mkdir()
    return Installed(venv=root / "venv", workdir=workdir)


def test_the_wheel_holds_the_four_layers_their_data_and_no_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == set(LAYERS), "the wheel holds the four layers and nothing else"
    assert "infrastructure/persistence/alembic.ini" in names
    migrations = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / MIGRATIONS).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert f"{MIGRATIONS}/script.py.mako" in migrations
    assert f"{MIGRATIONS}/env.py" in migrations
    assert migrations <= names, f"missing from the wheel: {sorted(migrations - names)}"
    data = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("infrastructure/mail/templates", "interfaces/http/pages/static")
        for path in (PROJECT_ROOT / folder).iterdir()
    }
    assert len(data) >= 10
    assert data <= names, f"mail templates or pages missing: {sorted(data - names)}"
    assert not any("__pycache__" in name for name in names)
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "users-posts = interfaces.console:main" in scripts


@pytest.mark.postgres
def test_the_console_script_migrates_and_serves_database_url(
    installed: Installed, create_database: Callable[[], str]
) -> None:
    url = libpq_url(create_database())
    with served_by(
        [str(installed.console_script)],
        installed.workdir,
        ["--migrate"],
        {"DATABASE_URL": url, "PYTHONPATH": ""},
    ) as (base_url, process):
        ready = httpx.get(f"{base_url}/health/ready", timeout=5)
        created = httpx.post(
            f"{base_url}/users/",
            json={"email": "pip@example.com", "username": "pip", "password": "pass-word-1"},
            timeout=10,
        )
    assert ready.status_code == 200, ready.text
    assert created.status_code == 201, created.text
    assert process.returncode == 0, "SIGTERM is a clean exit"
    assert list(installed.workdir.iterdir()) == [], "serving on DATABASE_URL writes no files"


def test_python_m_interfaces_runs_the_same_command_line(installed: Installed) -> None:
    environment = _outside_the_checkout()
    script = _run(installed.console_script, "--help", cwd=installed.workdir, env=environment)
    module = _run(
        installed.python, "-m", "interfaces", "--help", cwd=installed.workdir, env=environment
    )
    assert "Usage: users-posts" in script.stdout
    assert "Usage: python -m interfaces" in module.stdout
    for command in ("serve", "migrate", "seed", "revision"):
        assert command in script.stdout
        assert command in module.stdout


@pytest.mark.parametrize(
    ("extra", "arguments", "environment"),
    [
        ("seed", ["seed", "--users", "1", "--posts", "0"], {}),
        ("embedded", ["migrate"], {}),
        ("redis", ["serve"], {"RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379"}),
    ],
    ids=["seed", "embedded", "redis"],
)
def test_a_missing_extra_is_named_in_one_line(
    installed: Installed, extra: str, arguments: list[str], environment: dict[str, str]
) -> None:
    result = subprocess.run(
        [str(installed.console_script), *arguments],
        cwd=installed.workdir,
        env=_outside_the_checkout(**environment),
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"pip install '{DISTRIBUTION}[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr


CONSUMER_TEST: Final = textwrap.dedent(
    '''
    """Another project's test of its calls to the service: no database, no server."""

    import asyncio

    import httpx
    import interfaces

    from interfaces.testing import InMemoryStore, in_memory_app


    def test_the_service_is_the_installed_one() -> None:
        assert "site-packages" in interfaces.__file__


    def test_signing_up_and_logging_in() -> None:
        store = InMemoryStore()

        async def scenario() -> tuple[int, int]:
            transport = httpx.ASGITransport(app=in_memory_app(store))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                created = await client.post(
                    "/users/",
                    json={"email": "eve@example.com", "username": "eve", "password": "pass-word-1"},
                )
                token = await client.post(
                    "/auth/token", data={"username": "eve", "password": "pass-word-1"}
                )
            return created.status_code, token.status_code

        assert asyncio.run(scenario()) == (201, 200)
        assert [user.username for user in store.users.values()] == ["eve"]
    '''
)


def test_another_project_tests_against_the_in_memory_app(
    installed: Installed, tmp_path: Path
) -> None:
    """The consumer's own test tools go in a folder of its own (on its PYTHONPATH), so the
    virtualenv keeps the runtime lock only for the other tests of this module."""
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "test_calls_to_the_service.py").write_text(CONSUMER_TEST)
    pins = tmp_path / "pins.txt"
    pins.write_text(
        "\n".join(
            line.split()[0]
            for line in (PROJECT_ROOT / "requirements-dev.lock").read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))
        )
    )
    tools = tmp_path / "tools"
    _run(
        installed.python, "-m", "pip", "install", "-q", "--target", tools, "-c", pins,
        "pytest", "httpx",
        cwd=tmp_path,
    )  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(tools)}
    result = subprocess.run(
        [str(installed.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=consumer,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
