"""The pages mailed links open by default: served by the service, strict about what they load.

The HTTP tests read what the server sends; the browser test opens a real
verification link in headless Chromium (Debian's, as for /docs), whose
script finds the token in the fragment and spends it.
"""

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from infrastructure.persistence import migrator
from tests.conftest import in_thread, libpq_url
from tests.support.live_server import serving
from tests.support.smtp import SmtpServer, link_in

PAGES = ["/verify-email", "/reset-password"]


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_loads_only_this_services_script_and_style(
    memory_client: httpx.AsyncClient, path: str
) -> None:
    page = await memory_client.get(path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<script src="/pages/mail-link.js" defer></script>' in page.text
    assert "<script>" not in page.text
    script = await memory_client.get("/pages/mail-link.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/auth/verify-email" in script.text
    assert "/auth/password-reset/confirm" in script.text
    assert "history.replaceState" in script.text


async def test_the_pages_are_not_operations_of_the_api(memory_client: httpx.AsyncClient) -> None:
    paths = (await memory_client.get("/openapi.json")).json()["paths"]

    assert not set(PAGES) & set(paths)


@pytest.mark.postgres
def test_a_verification_link_opened_in_a_browser_verifies_the_address(
    create_database: Callable[[], str], tmp_path: Path
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    url = create_database()
    in_thread(migrator.upgrade, url)
    with SmtpServer() as smtp:
        environment = {
            "DATABASE_URL": libpq_url(url),
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
            "SMTP_TLS": "none",
        }
        with serving(**environment) as (base_url, _):
            body = {"email": "browser@example.com", "username": "browser", "password": "pw-word-1"}
            assert httpx.post(f"{base_url}/users/", json=body).status_code == 201
            token = httpx.post(
                f"{base_url}/auth/token", data={"username": "browser", "password": "pw-word-1"}
            ).json()["access_token"]
            deadline = time.monotonic() + 10
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.1)
            (mail,) = smtp.messages
            link = link_in(mail)
            assert link.startswith(f"{base_url}/verify-email#token="), "links lead to serve"
            dom = subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--virtual-time-budget=10000",
                    f"--user-data-dir={tmp_path / 'profile'}",
                    "--dump-dom",
                    link,
                ],
                capture_output=True,
                text=True,
                timeout=90,
                check=True,
            ).stdout
            me = httpx.get(f"{base_url}/users/me", headers={"Authorization": f"Bearer {token}"})

    assert "Your email address is confirmed" in dom
    assert me.json()["email_verified"] is True
