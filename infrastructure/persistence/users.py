"""Users stored in PostgreSQL."""

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final
from uuid import UUID

from psycopg import IntegrityError
from sqlalchemy import bindparam, case, func, insert, select, update

from domain.users import NewUser, Role, User
from infrastructure.persistence.errors import translate_integrity_error
from infrastructure.persistence.lease import Lease, savepoint
from infrastructure.persistence.sessions import LIVE
from infrastructure.persistence.statements import Statement
from infrastructure.persistence.tables import sessions, users
from infrastructure.persistence.timestamps import stamp_after
from infrastructure.persistence.versions import delete_row, refuse_if_moved, row_at

_BY_ID: Final = select(users).where(users.c.id == bindparam("user_id"))
_GET: Final = Statement(_BY_ID)
_GET_FOR_UPDATE: Final = Statement(_BY_ID.with_for_update())
# The caller's account, through the session their token names: a revoked or expired
# session finds no row, at the cost of a primary-key probe of `sessions`.
_GET_SIGNED_IN: Final = Statement(
    select(users)
    .join(sessions, sessions.c.user_id == users.c.id)
    .where(
        users.c.id == bindparam("user_id"),
        sessions.c.id == bindparam("session_id", type_=sessions.c.id.type),
        LIVE,
    )
)
_GET_BY_EMAIL: Final = Statement(
    select(users).where(
        func.lower(users.c.email) == func.lower(bindparam("key", type_=users.c.email.type))
    )
)
_GET_BY_USERNAME: Final = Statement(
    select(users).where(
        func.lower(users.c.username) == func.lower(bindparam("key", type_=users.c.username.type))
    )
)
_ADD: Final = Statement(
    insert(users)
    .values(
        email=bindparam("email", type_=users.c.email.type),
        username=bindparam("username", type_=users.c.username.type),
        password_hash=bindparam("password_hash", type_=users.c.password_hash.type),
        role=bindparam("role", type_=users.c.role.type),
    )
    .returning(*users.c)
)
# A role set to the one the account has is no change: its version stays.
_SET_ROLE: Final = Statement(
    update(users)
    .where(users.c.id == bindparam("user_id"))
    .values(
        role=bindparam("role", type_=users.c.role.type),
        updated_at=case(
            (users.c.role == bindparam("role"), users.c.updated_at),
            else_=stamp_after(users.c.updated_at),
        ),
        version=case(
            (users.c.role == bindparam("role"), users.c.version), else_=users.c.version + 1
        ),
    )
    .returning(*users.c)
)
_LOCK_ADMINS: Final = Statement(
    select(users.c.id)
    .where(users.c.role == Role.ADMIN.value)
    .order_by(users.c.id)
    .with_for_update()
)
_REPLACE_PASSWORD_HASH: Final = Statement(
    update(users)
    .where(users.c.id == bindparam("user_id"), users.c.password_hash == bindparam("old"))
    .values(password_hash=bindparam("new", type_=users.c.password_hash.type))
)


@cache
def _page(*, after: bool, before: bool) -> Statement:
    """One statement per kind of page, compiled on first use."""
    statement = select(users)
    if before:
        # The page just before the key: read backwards from it, then turn around.
        statement = statement.where(users.c.id < bindparam("key")).order_by(users.c.id.desc())
    else:
        if after:
            statement = statement.where(users.c.id > bindparam("key"))
        statement = statement.order_by(users.c.id)
    return Statement(statement.offset(bindparam("skip")).limit(bindparam("limit")))


@cache
def _update(*, conditional: bool) -> Statement:
    return Statement(
        update(users)
        .where(row_at(users, conditional=conditional))
        .values(
            email=bindparam("email", type_=users.c.email.type),
            username=bindparam("username", type_=users.c.username.type),
            password_hash=bindparam("password_hash", type_=users.c.password_hash.type),
            updated_at=stamp_after(users.c.updated_at),
            version=users.c.version + 1,
        )
        .returning(*users.c)
    )


def _to_user(values: Mapping[str, Any]) -> User:
    return User(
        id=values["id"],
        email=values["email"],
        username=values["username"],
        password_hash=values["password_hash"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        version=values["version"],
        role=Role(values["role"]),
    )


class PostgresUserRepository:
    """The users table, read and written through one unit of work's connection."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    async def add(self, user: NewUser) -> User:
        values = {
            "email": user.email,
            "username": user.username,
            "password_hash": user.password_hash,
            "role": user.role.value,
        }
        try:
            # A savepoint keeps the transaction usable after a unique
            # violation, as it stays usable in the in-memory adapter.
            async with savepoint(self._lease.connection):
                row = await _ADD.first(self._lease.connection, values)
        except IntegrityError as error:
            raise translate_integrity_error(error) from error
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return _to_user(row)

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        statement = _GET_FOR_UPDATE if for_update else _GET
        return _maybe_user(await statement.first(self._lease.connection, {"user_id": user_id}))

    async def get_signed_in(self, user_id: int, session_id: UUID) -> User | None:
        values = {"user_id": user_id, "session_id": session_id}
        return _maybe_user(await _GET_SIGNED_IN.first(self._lease.connection, values))

    async def get_by_email(self, email: str) -> User | None:
        return _maybe_user(await _GET_BY_EMAIL.first(self._lease.connection, {"key": email}))

    async def get_by_username(self, username: str) -> User | None:
        return _maybe_user(await _GET_BY_USERNAME.first(self._lease.connection, {"key": username}))

    async def list(
        self,
        *,
        limit: int,
        skip: int = 0,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[User]:
        statement = _page(after=after is not None, before=before is not None)
        key = before if before is not None else after
        rows = await statement.rows(
            self._lease.connection, {"key": key, "skip": skip, "limit": limit}
        )
        found = [_to_user(row) for row in rows]
        return found[::-1] if before is not None else found

    async def update(self, user: User, *, expected_version: int | None = None) -> User | None:
        values = {
            "row_id": user.id,
            "expected_version": expected_version,
            "email": user.email,
            "username": user.username,
            "password_hash": user.password_hash,
        }
        statement = _update(conditional=expected_version is not None)
        try:
            async with savepoint(self._lease.connection):
                row = await statement.first(self._lease.connection, values)
        except IntegrityError as error:
            raise translate_integrity_error(error) from error
        if row is None:
            await refuse_if_moved(self._lease.connection, users, user.id, expected_version)
            return None
        return _to_user(row)

    async def set_role(self, user_id: int, role: Role) -> User | None:
        values = {"user_id": user_id, "role": role.value}
        return _maybe_user(await _SET_ROLE.first(self._lease.connection, values))

    async def lock_admins(self) -> Sequence[int]:
        rows = await _LOCK_ADMINS.rows(self._lease.connection, {})
        return [row["id"] for row in rows]

    async def replace_password_hash(self, user_id: int, *, old: str, new: str) -> bool:
        values = {"user_id": user_id, "old": old, "new": new}
        return await _REPLACE_PASSWORD_HASH.rowcount(self._lease.connection, values) == 1

    async def delete(self, user_id: int, *, expected_version: int | None = None) -> bool:
        return await delete_row(self._lease.connection, users, user_id, expected_version)


def _maybe_user(row: Mapping[str, Any] | None) -> User | None:
    return None if row is None else _to_user(row)
