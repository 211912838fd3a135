"""Access tokens: what is accepted, and every way a token can be refused."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
import pytest

from application.auth import InvalidTokenError
from domain.sessions import Caller
from infrastructure.security.opaque_tokens import OpaqueTokens
from infrastructure.security.tokens import JwtTokenIssuer

SECRET = "a-test-secret-long-enough-even-for-hs512-" + "0123456789" * 3
SESSION = UUID("0d1f3c8e-6a0b-4b7e-9a51-2f4c1e8d7b90")
issuer = JwtTokenIssuer(secret=SECRET, algorithm="HS256", lifetime=timedelta(minutes=15))
AT_JWT = {"typ": "at+jwt"}


def _token(
    claims: dict[str, Any],
    key: str = SECRET,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = AT_JWT,
) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "sub": "42",
        "sid": str(SESSION),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "a1",
    }
    return claims | overrides


def _without(claim: str) -> dict[str, Any]:
    return {name: value for name, value in _claims().items() if name != claim}


def test_an_issued_token_names_its_user_and_session_and_lasts_the_configured_time() -> None:
    issued = issuer.issue(user_id=42, session_id=SESSION)

    assert issued.expires_in == 900
    assert issuer.caller_of(issued.token) == Caller(user_id=42, session_id=SESSION)
    header = jwt.get_unverified_header(issued.token)
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert (header["alg"], header["typ"]) == ("HS256", "at+jwt")
    assert (claims["sub"], claims["sid"]) == ("42", str(SESSION))
    assert claims["exp"] - claims["iat"] == 900


def test_each_token_has_its_own_id() -> None:
    first, second = (issuer.issue(user_id=42, session_id=SESSION) for _ in range(2))

    decoded = [jwt.decode(t.token, options={"verify_signature": False}) for t in (first, second)]
    assert decoded[0]["jti"] != decoded[1]["jti"]


def _tampered() -> str:
    header, _, signature = issuer.issue(user_id=42, session_id=SESSION).token.split(".")
    forged = jwt.utils.base64url_encode(
        f'{{"sub":"1","sid":"{SESSION}","iat":1,"exp":99999999999,"jti":"x"}}'.encode()
    ).decode()
    return f"{header}.{forged}.{signature}"


def _unsigned() -> str:
    return jwt.encode(_claims(), key=None, algorithm="none", headers=AT_JWT)


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
        pytest.param(_token(_claims(), headers=None), id="no-type"),
        pytest.param(_token(_claims(), headers={"typ": "JWT"}), id="plain-jwt-type"),
        pytest.param(_token(_claims(), headers={"typ": "refresh+jwt"}), id="another-type"),
        pytest.param(_token(_without("exp")), id="no-exp"),
        pytest.param(_token(_without("sub")), id="no-sub"),
        pytest.param(_token(_without("sid")), id="no-session"),
        pytest.param(_token(_without("jti")), id="no-jti"),
        pytest.param(_token(_claims(sub="abc")), id="sub-not-an-id"),
        pytest.param(_token(_claims(sub="0")), id="sub-zero"),
        pytest.param(_token(_claims(sub=str(2**63))), id="sub-beyond-64-bits"),
        pytest.param(_token(_claims(sub="٤٢")), id="sub-non-ascii-digits"),
        pytest.param(_token(_claims(sid="not-a-uuid")), id="sid-not-a-uuid"),
        pytest.param(_token(_claims(sid=str(SESSION).upper())), id="sid-not-as-issued"),
        pytest.param(_token(_claims(sid=SESSION.hex)), id="sid-without-hyphens"),
        pytest.param(_token(_claims(sid=7)), id="sid-a-number"),
        pytest.param(OpaqueTokens().new().token, id="a-refresh-token"),
    ],
)
def test_invalid_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidTokenError, match="Could not validate credentials"):
        issuer.caller_of(token)


def test_refresh_tokens_are_random_and_their_digests_fixed_in_size() -> None:
    tokens = OpaqueTokens()
    made = [tokens.new() for _ in range(50)]

    assert len({secret.token for secret in made}) == 50
    assert {len(secret.token) for secret in made} == {43}
    assert {len(secret.digest) for secret in made} == {32}
    assert all(tokens.digest(secret.token) == secret.digest for secret in made)


@pytest.mark.parametrize(
    "token", ["", "a" * 42, "a" * 44, "a" * 42 + "=", "é" * 43, "a" * 100_000], ids=len
)
def test_strings_no_refresh_token_could_be_have_no_digest(token: str) -> None:
    assert OpaqueTokens().digest(token) is None


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def test_a_token_verified_before_is_refused_once_it_expires() -> None:
    clock = _Clock()
    kept = JwtTokenIssuer(
        secret=SECRET, algorithm="HS256", lifetime=timedelta(minutes=15), clock=clock
    )
    token = kept.issue(user_id=42, session_id=SESSION).token
    assert kept.caller_of(token) == Caller(user_id=42, session_id=SESSION)

    clock.now += 14 * 60
    assert kept.caller_of(token) == Caller(user_id=42, session_id=SESSION)
    clock.now += 61
    with pytest.raises(InvalidTokenError):
        kept.caller_of(token)
    assert token not in kept._verified


def test_a_refused_token_is_refused_every_time_and_not_kept() -> None:
    fresh = JwtTokenIssuer(secret=SECRET, algorithm="HS256", lifetime=timedelta(minutes=15))
    forged = _token(_claims(), key="another-secret-" * 4)

    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            fresh.caller_of(forged)
    assert forged not in fresh._verified


def test_the_verified_tokens_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("infrastructure.security.tokens.VERIFIED_TOKENS", 3)
    bounded = JwtTokenIssuer(secret=SECRET, algorithm="HS256", lifetime=timedelta(minutes=15))
    tokens = [bounded.issue(user_id=n, session_id=SESSION).token for n in range(1, 6)]

    for token in tokens:
        bounded.caller_of(token)

    assert list(bounded._verified) == tokens[-3:]
    assert bounded.caller_of(tokens[0]).user_id == 1, "verified again when no longer kept"
