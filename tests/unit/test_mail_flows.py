"""Verification, email changes and password resets as use cases, on the in-memory adapter,
with the mail they owe delivered by the real sender to a mailer that keeps it."""

from dataclasses import replace
from datetime import timedelta

import pytest

from application.accounts.password_reset import PasswordResetService
from application.accounts.verification import (
    EmailAlreadyVerifiedError,
    EmailVerificationService,
)
from application.auth import AuthService
from application.mail.letters import Letters
from application.mail.ports import MailDeliveryError
from application.ports import PasswordHasher
from application.users import RegisterUser, UpdateUser, UserService
from domain.mail import InvalidMailTokenError
from domain.sessions import RevocationReason
from domain.users import EmailAlreadyRegisteredError, User, WeakPasswordError
from infrastructure.memory import InMemoryUnitOfWork
from infrastructure.security.opaque_tokens import OpaqueTokens
from infrastructure.security.tokens import JwtTokenIssuer
from tests.conftest import PASSWORD_STRENGTH
from tests.support.mail import Post, token_of

PASSWORD = "correct horse"
NEW_PASSWORD = "violet kettle drum 53"


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def post(uow: InMemoryUnitOfWork) -> Post:
    return Post(uow)


@pytest.fixture
def users(uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, post: Post) -> UserService:
    return UserService(uow, password_hasher, PASSWORD_STRENGTH, letters=post.letters)


@pytest.fixture
def verification(uow: InMemoryUnitOfWork, post: Post) -> EmailVerificationService:
    return EmailVerificationService(uow, post.keys, post.letters)


@pytest.fixture
def resets(
    uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, post: Post
) -> PasswordResetService:
    return PasswordResetService(uow, password_hasher, PASSWORD_STRENGTH, post.keys, post.letters)


@pytest.fixture
def auth(uow: InMemoryUnitOfWork, password_hasher: PasswordHasher) -> AuthService:
    issuer = JwtTokenIssuer(secret="s" * 40, algorithm="HS256", lifetime=timedelta(minutes=5))
    return AuthService(uow, password_hasher, issuer, OpaqueTokens())


@pytest.fixture
async def ada(users: UserService, post: Post) -> User:
    user = await users.register_user(
        RegisterUser(email="Ada@Example.com", username="ada", password=PASSWORD)
    )
    await post.deliver()
    return user


async def _change_email(users: UserService, user: User, email: str) -> User:
    command = UpdateUser(email=email, current_password=PASSWORD)
    return await users.update_user(user, user.id, command)


async def test_registering_mails_a_link_that_verifies_the_address(
    users: UserService, verification: EmailVerificationService, post: Post
) -> None:
    user = await users.register_user(
        RegisterUser(email="Grace@Example.com", username="grace", password=PASSWORD)
    )
    (mail,) = await post.deliver()
    assert mail.to == "grace@example.com"
    assert not user.email_verified

    verified = await verification.verify_email(token_of(mail))

    assert (verified.email, verified.email_verified) == ("grace@example.com", True)
    with pytest.raises(InvalidMailTokenError):
        await verification.verify_email(token_of(mail))


async def test_a_refused_registration_owes_no_mail(
    users: UserService, ada: User, post: Post
) -> None:
    with pytest.raises(EmailAlreadyRegisteredError):
        await users.register_user(
            RegisterUser(email="ADA@example.com", username="other", password=PASSWORD)
        )

    assert await post.deliver() == []


@pytest.mark.parametrize("token", ["", "not-a-token", "A" * 43, "-" * 200])
async def test_a_token_no_mail_carried_is_invalid(
    verification: EmailVerificationService, resets: PasswordResetService, token: str
) -> None:
    with pytest.raises(InvalidMailTokenError):
        await verification.verify_email(token)
    with pytest.raises(InvalidMailTokenError):
        await resets.reset(token, NEW_PASSWORD)


async def test_an_email_change_waits_for_the_new_address_to_be_proven(
    users: UserService, verification: EmailVerificationService, ada: User, post: Post
) -> None:
    moving = await _change_email(users, ada, "Ada.New@Example.com")

    assert (moving.email, moving.pending_email) == ("ada@example.com", "ada.new@example.com")
    mails = await post.deliver()
    (confirmation,) = [mail for mail in mails if mail.to == "ada.new@example.com"]
    (notice,) = [mail for mail in mails if mail.to == "ada@example.com"]
    assert "ada.new@example.com" in notice.text
    assert "#token=" not in notice.text

    moved = await verification.verify_email(token_of(confirmation))

    assert (moved.email, moved.pending_email, moved.email_verified) == (
        "ada.new@example.com",
        None,
        True,
    )


async def test_a_newer_change_voids_the_link_of_the_one_before(
    users: UserService, verification: EmailVerificationService, ada: User, post: Post
) -> None:
    first = await _change_email(users, ada, "first@example.com")
    (first_link,) = (await post.deliver())[:1]
    await _change_email(users, first, "second@example.com")
    await post.deliver()

    with pytest.raises(InvalidMailTokenError):
        await verification.verify_email(token_of(first_link))


async def test_asking_for_the_address_one_has_drops_the_pending_move(
    users: UserService, ada: User, post: Post
) -> None:
    moving = await _change_email(users, ada, "elsewhere@example.com")
    await post.deliver()

    back = await _change_email(users, moving, "ADA@example.com")

    assert back.pending_email is None
    assert await post.deliver() == []


async def test_a_move_to_an_address_taken_meanwhile_is_a_conflict_and_spends_nothing(
    users: UserService, verification: EmailVerificationService, ada: User, post: Post
) -> None:
    await _change_email(users, ada, "wanted@example.com")
    (link,) = [mail for mail in await post.deliver() if mail.to == "wanted@example.com"]
    await users.register_user(
        RegisterUser(email="wanted@example.com", username="quick", password=PASSWORD)
    )

    with pytest.raises(EmailAlreadyRegisteredError):
        await verification.verify_email(token_of(link))
    with pytest.raises(EmailAlreadyRegisteredError):  # unspent: the same answer again
        await verification.verify_email(token_of(link))


async def test_a_new_link_goes_where_proof_is_missing(
    users: UserService, verification: EmailVerificationService, ada: User, post: Post
) -> None:
    await verification.send_again(ada)
    (again,) = await post.deliver()
    assert again.to == "ada@example.com"
    verified = await verification.verify_email(token_of(again))

    with pytest.raises(EmailAlreadyVerifiedError):
        await verification.send_again(verified)

    await _change_email(users, verified, "next@example.com")
    await post.deliver()
    await verification.send_again(verified)
    assert "next@example.com" in [mail.to for mail in await post.deliver()]


async def test_a_reset_link_sets_the_password_and_ends_every_session(
    resets: PasswordResetService,
    auth: AuthService,
    uow: InMemoryUnitOfWork,
    ada: User,
    post: Post,
) -> None:
    await auth.login(login="ada", password=PASSWORD)
    await resets.request("ADA@example.com")
    (link,) = await post.deliver()
    assert link.to == "ada@example.com"

    await resets.reset(token_of(link), NEW_PASSWORD)

    (notice,) = await post.deliver()
    assert notice.to == "ada@example.com"
    assert "#token=" not in notice.text
    sessions = list(uow.store.sessions.values())
    assert [s.revoked_reason for s in sessions] == [RevocationReason.PASSWORD_RESET]
    assert uow.store.users[ada.id].email_verified
    await auth.login(login="ada", password=NEW_PASSWORD)
    with pytest.raises(InvalidMailTokenError):
        await resets.reset(token_of(link), "another fine pass phrase")


async def test_one_reset_spends_every_other_reset_link(
    resets: PasswordResetService, ada: User, post: Post
) -> None:
    await resets.request(ada.email)
    await resets.request(ada.email)
    first, second = await post.deliver()

    await resets.reset(token_of(second), NEW_PASSWORD)

    with pytest.raises(InvalidMailTokenError):
        await resets.reset(token_of(first), "another fine pass phrase")


async def test_a_reset_for_no_account_or_a_deactivated_one_owes_no_mail(
    resets: PasswordResetService, uow: InMemoryUnitOfWork, ada: User, post: Post
) -> None:
    await resets.request("nobody@example.com")
    uow.store.users[ada.id] = replace(uow.store.users[ada.id], active=False)
    await resets.request(ada.email)

    assert await post.deliver() == []


async def test_a_weak_password_is_refused_and_the_link_still_works(
    resets: PasswordResetService, ada: User, post: Post
) -> None:
    await resets.request(ada.email)
    (link,) = await post.deliver()

    with pytest.raises(WeakPasswordError):
        await resets.reset(token_of(link), "ada@example.com")

    await resets.reset(token_of(link), NEW_PASSWORD)


async def test_a_reset_link_mailed_before_a_move_no_longer_works(
    resets: PasswordResetService,
    users: UserService,
    verification: EmailVerificationService,
    ada: User,
    post: Post,
) -> None:
    await resets.request(ada.email)
    (reset_link,) = await post.deliver()
    await _change_email(users, ada, "moved@example.com")
    (confirmation,) = [m for m in await post.deliver() if m.to == "moved@example.com"]
    await verification.verify_email(token_of(confirmation))

    with pytest.raises(InvalidMailTokenError):
        await resets.reset(token_of(reset_link), NEW_PASSWORD)


async def test_an_expired_reset_link_is_invalid(
    uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, ada: User, post: Post
) -> None:
    expiring = Letters(post.keys, reset_lifetime=timedelta(0))
    resets = PasswordResetService(uow, password_hasher, PASSWORD_STRENGTH, post.keys, expiring)
    await resets.request(ada.email)
    (link,) = await post.deliver()

    with pytest.raises(InvalidMailTokenError):
        await resets.reset(token_of(link), NEW_PASSWORD)


async def test_a_failed_delivery_is_retried_under_the_same_message_id(
    users: UserService, uow: InMemoryUnitOfWork, post: Post
) -> None:
    post.mailer.failures.append(MailDeliveryError("421 busy"))
    await users.register_user(
        RegisterUser(email="retry@example.com", username="retry", password=PASSWORD)
    )

    (delivered,) = await post.deliver()  # no wait before a retry here: the same pass
    (row,) = uow.store.outbox.values()
    assert delivered.message_id == f"<{row.mail.id}@example.com>"
    assert (row.mail.attempts, row.mail.last_error, row.sent_at is not None) == (
        2,
        "421 busy",
        True,
    )


async def test_a_permanent_refusal_or_the_last_attempt_gives_the_mail_up(
    users: UserService, uow: InMemoryUnitOfWork, post: Post
) -> None:
    post.mailer.failures.append(MailDeliveryError("550 no such user", permanent=True))
    post.mailer.failures.extend(MailDeliveryError("421 busy") for _ in range(3))
    for name in ("refused", "unlucky"):
        await users.register_user(
            RegisterUser(email=f"{name}@example.com", username=name, password=PASSWORD)
        )

    for _ in range(4):
        await post.deliver()

    rows = sorted(uow.store.outbox.values(), key=lambda row: row.mail.created_at)
    assert [(row.mail.attempts, row.failed_at is not None) for row in rows] == [
        (1, True),
        (3, True),
    ]
    assert post.mailer.sent == []
