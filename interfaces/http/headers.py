"""What browsers are told: CORS, and the security headers every response carries."""

from collections.abc import Sequence
from typing import Final

from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from interfaces.http.problems import problem_response

EXPOSED_HEADERS: Final = ("Link", "Location", "Retry-After", "X-Request-ID", "ETag")
"""Response headers a browser script may read: paging, new resources, retries, tracing."""

HSTS: Final = "max-age=31536000; includeSubDomains"

DOCS_CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
)
"""Keeps /docs and /redoc on this origin. ReDoc's bundle draws its logo from its vendor's
CDN and has no option to stop; with this policy the browser does not ask, so opening
/redoc tells no third party. Inline scripts stay allowed: both pages start with one."""

DOCS_PATHS: Final = frozenset({"/docs", "/redoc"})
NO_STORE_PATHS: Final = frozenset({"/auth/token", "/auth/refresh"})

MAIL_LINK_PAGES: Final = frozenset({"/verify-email", "/reset-password"})
MAIL_LINK_CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The pages mailed links open (interfaces.http.pages): this service's own script and style,
talking to this service only; no inline code, no framing, as they handle a token and a
new password."""
"""Responses holding a token: no cache, shared or private, may keep them."""


_ALWAYS: Final = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"))
_OVER_TLS: Final = (("Strict-Transport-Security", HSTS),)


def security_headers(path: str, *, behind_tls: bool) -> tuple[tuple[str, str], ...]:
    """The headers every response to `path` should carry, whichever route or error made it.

    HSTS only when the service is reached over TLS (BEHIND_TLS): over plain
    HTTP a browser ignores it, and a proxy that terminates TLS is what makes
    the promise.
    """
    headers: tuple[tuple[str, str], ...] = _ALWAYS + _OVER_TLS if behind_tls else _ALWAYS
    if path in NO_STORE_PATHS:
        headers += (("Cache-Control", "no-store"),)
    if path in DOCS_PATHS:
        headers += (("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY),)
    elif path in MAIL_LINK_PAGES:
        headers += (
            ("Content-Security-Policy", MAIL_LINK_CONTENT_SECURITY_POLICY),
            ("Cache-Control", "no-store"),
        )
    return headers


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS; a refused preflight is a problem document, as every error is."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        is_preflight = (
            scope["type"] == "http"
            and scope["method"] == "OPTIONS"
            and "origin" in headers
            and "access-control-request-method" in headers
        )
        if not is_preflight:
            await super().__call__(scope, receive, send)
            return
        response = self.preflight_response(request_headers=headers)
        if response.status_code >= 400:  # noqa: PLR2004 - any refusal
            refused = bytes(response.body).decode()
            response = problem_response(
                Request(scope),
                400,
                f"{refused}: this origin, method or header is not allowed by CORS_* settings",
                headers={
                    k: v for k, v in response.headers.items() if k.startswith("access-control")
                },
            )
        await response(scope, receive, send)


def install_cors(
    app: FastAPI, *, origins: Sequence[str], methods: Sequence[str], headers: Sequence[str]
) -> None:
    """Allow the configured origins; with none configured, no CORS headers at all."""
    if not origins:
        return
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=list(origins),
        allow_methods=list(methods),
        allow_headers=list(headers),
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
