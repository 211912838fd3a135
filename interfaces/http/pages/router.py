"""`/verify-email` and `/reset-password`: where the links in mails lead by default.

A link carries its token in the fragment (`#token=...`), which browsers
never send, so the pages are static: their script reads the token, drops
it from the address bar, and posts it to the API, as a front end of the
operator's own would (point PUBLIC_BASE_URL at that one instead). Not in the
OpenAPI document: they are for people, not clients.
"""

from importlib.resources import files
from typing import Final

from fastapi.responses import HTMLResponse, Response

from interfaces.http.routing import service_router

router = service_router(include_in_schema=False)

_STATIC: Final = files(__package__) / "static"


def _read(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


_PAGES: Final = {name: _read(name) for name in ("verify-email.html", "reset-password.html")}
_SCRIPT: Final = _read("mail-link.js")
_STYLE: Final = _read("mail-link.css")


@router.get("/verify-email", response_class=HTMLResponse)
async def verify_email_page() -> HTMLResponse:
    return HTMLResponse(_PAGES["verify-email.html"])


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_password_page() -> HTMLResponse:
    return HTMLResponse(_PAGES["reset-password.html"])


@router.get("/pages/mail-link.js")
async def mail_link_script() -> Response:
    return Response(_SCRIPT, media_type="text/javascript")


@router.get("/pages/mail-link.css")
async def mail_link_style() -> Response:
    return Response(_STYLE, media_type="text/css")
