import unicodedata

import pytest

from domain.users import InvalidEmailError, InvalidPasswordError, InvalidUsernameError, NewUser
from domain.users.rules import normalize_email, validate_password, validate_username


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  bob.smith+tag@mail.example.org ", "bob.smith+tag@mail.example.org"),
    ],
)
def test_email_is_normalised_to_lower_case(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        unicodedata.normalize("NFD", "ZOË@BÜCHER.EXAMPLE"),
        "zoë@xn--bcher-kva.example",
        "Zoë@Bücher.Example",
        "zoë@ｂüｃｈｅｒ.example",
    ],
    ids=["nfd-capitals", "punycode", "title-case", "fullwidth"],
)
def test_equivalent_spellings_of_an_email_normalise_to_one(raw: str) -> None:
    assert normalize_email(raw) == unicodedata.normalize("NFC", "zoë@bücher.example")


@pytest.mark.parametrize(
    "raw",
    ["Ada@Example.COM", unicodedata.normalize("NFD", "ÉLODIE@ÉCOLE.EXAMPLE"), "İ@example.com"],
)
def test_a_normalised_email_is_its_own_normal_form(raw: str) -> None:
    """Stored addresses are normalised again by every login: it must find them unchanged."""
    once = normalize_email(raw)
    assert normalize_email(once) == once
    assert unicodedata.is_normalized("NFC", once)


@pytest.mark.parametrize(
    "raw",
    [
        "Ada <ada@example.com>",
        "ada@example.test",
        f"{'a' * 1_000_000}@example.com",
        "",
        "no-at-sign",
        "@example.com",
        "ada@",
        "ada@localhost",
        "a b@example.com",
        "ada@exa\x00mple.com",
        f"{'a' * 65}@example.com",
        f"ada@{'e' * 250}.com",
    ],
)
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmailError):
        normalize_email(raw)


@pytest.mark.parametrize("name", ["abc", "A_b.c-9", "x" * 32, "ADA"])
def test_usernames_of_allowed_characters_and_length_pass(name: str) -> None:
    assert validate_username(name) == name


@pytest.mark.parametrize(
    "name", ["ab", "x" * 33, "has space", "émile", "semi;colon", "trailing\n", ""]
)
def test_other_usernames_are_refused(name: str) -> None:
    with pytest.raises(InvalidUsernameError, match="3 to 32 characters"):
        validate_username(name)


@pytest.mark.parametrize("password", ["x" * 8, "x" * 128])
def test_passwords_at_the_length_limits_pass(password: str) -> None:
    assert validate_password(password) == password


@pytest.mark.parametrize("password", ["x" * 7, "x" * 129])
def test_passwords_beyond_the_limits_are_refused(password: str) -> None:
    with pytest.raises(InvalidPasswordError, match="8 to 128"):
        validate_password(password)


def test_new_user_applies_the_rules() -> None:
    user = NewUser.create(email="Ada@Example.com", username="Ada", password_hash="h")
    assert (user.email, user.username) == ("ada@example.com", "Ada")
    with pytest.raises(InvalidUsernameError):
        NewUser.create(email="ada@example.com", username="a", password_hash="h")
