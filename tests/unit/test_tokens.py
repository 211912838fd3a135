"""Access tokens: what is accepted, and every way a token can be refused."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from application.auth import InvalidTokenError
from infrastructure.security.tokens import JwtTokenIssuer

SECRET = "a-test-secret-long-enough-even-for-hs512-" + "0123456789" * 3
issuer = JwtTokenIssuer(secret=SECRET, algorithm="HS256", lifetime=timedelta(minutes=30))


def _token(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"sub": "42", "iat": now, "exp": now + timedelta(minutes=5)} | overrides


def test_an_issued_token_names_its_user_and_lasts_the_configured_time() -> None:
    issued = issuer.issue(42)

    assert issued.expires_in == 1800
    assert issuer.user_id_of(issued.token) == 42
    header = jwt.get_unverified_header(issued.token)
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["sub"] == "42"
    assert claims["exp"] - claims["iat"] == 1800


def _tampered() -> str:
    header, _, signature = issuer.issue(42).token.split(".")
    forged = jwt.utils.base64url_encode(b'{"sub":"1","iat":1,"exp":99999999999}').decode()
    return f"{header}.{forged}.{signature}"


def _unsigned() -> str:
    return jwt.encode(_claims(), key=None, algorithm="none")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-token", id="malformed"),
        pytest.param("a.b.c", id="three-garbage-parts"),
        pytest.param(_token(_claims(exp=datetime.now(UTC) - timedelta(seconds=1))), id="expired"),
        pytest.param(_tampered(), id="tampered"),
        pytest.param(_unsigned(), id="alg-none"),
        pytest.param(_token(_claims(), key="another-key-" * 6), id="other-key"),
        pytest.param(_token(_claims(), algorithm="HS512"), id="other-algorithm"),
        pytest.param(_token({"sub": "42", "iat": datetime.now(UTC)}), id="no-exp"),
        pytest.param(_token(_claims(sub="abc")), id="sub-not-an-id"),
        pytest.param(_token(_claims(sub="0")), id="sub-zero"),
        pytest.param(_token(_claims(sub=str(2**63))), id="sub-beyond-64-bits"),
        pytest.param(_token(_claims(sub="٤٢")), id="sub-non-ascii-digits"),
        pytest.param(
            _token({"iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(1)}), id="no-sub"
        ),
    ],
)
def test_invalid_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidTokenError, match="Could not validate credentials"):
        issuer.user_id_of(token)
