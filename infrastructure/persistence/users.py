"""Users stored in PostgreSQL."""

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Final
from uuid import UUID

from psycopg import IntegrityError
from sqlalchemy import Column, ColumnElement, bindparam, case, func, insert, literal, select, update

from domain.users import NewUser, Role, User, UserFilter
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
        users.c.active,
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


def _setting(column: Column[Any]) -> Statement:
    """Set one column an admin changes; a value it has already is no change: the version and
    `updated_at` stay."""
    value = bindparam("value", type_=column.type)
    unchanged = column == value
    return Statement(
        update(users)
        .where(users.c.id == bindparam("user_id"))
        .values(
            {
                column: value,
                users.c.updated_at: case(
                    (unchanged, users.c.updated_at), else_=stamp_after(users.c.updated_at)
                ),
                users.c.version: case((unchanged, users.c.version), else_=users.c.version + 1),
            }
        )
        .returning(*users.c)
    )


_SET_ROLE: Final = _setting(users.c.role)
_SET_ACTIVE: Final = _setting(users.c.active)
_LOCK_ADMINS: Final = Statement(
    select(users.c.id)
    .where(users.c.role == Role.ADMIN.value, users.c.active)
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
def _search(
    *, username: bool, email: bool, role: bool, active: bool, after: bool, before: bool
) -> Statement:
    """One statement per combination of filters and kind of page, compiled on first use.

    A prefix is compared as `lower(column) LIKE lower(prefix) || '%'`, with the prefix's
    own wildcards escaped so that `a_b` finds only what starts with `a_b`.
    """
    statement = select(users)
    if username:
        statement = statement.where(_starts_with(users.c.username, "username_prefix"))
    if email:
        statement = statement.where(_starts_with(users.c.email, "email_prefix"))
    if role:
        statement = statement.where(users.c.role == bindparam("role", type_=users.c.role.type))
    if active:
        statement = statement.where(users.c.active == bindparam("active"))
    if before:
        statement = statement.where(users.c.id < bindparam("key")).order_by(users.c.id.desc())
    else:
        if after:
            statement = statement.where(users.c.id > bindparam("key"))
        statement = statement.order_by(users.c.id)
    return Statement(statement.limit(bindparam("limit")))


def _starts_with(column: Column[str], name: str) -> ColumnElement[bool]:
    return func.lower(column).like(
        func.lower(bindparam(name, type_=column.type)) + literal("%"), escape="\\"
    )


def _like_prefix(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape) escaped, so that it matches itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@cache
def _update(*, conditional: bool) -> Statement:
    return Statement(
        update(users)
        .where(row_at(users, conditional=conditional))
        .values(
            email=bindparam("email", type_=users.c.email.type),
            username=bindparam("username", type_=users.c.username.type),
            password_hash=bindparam("password_hash", type_=users.c.password_hash.type),
            email_verified=bindparam("email_verified"),
            pending_email=bindparam("pending_email", type_=users.c.pending_email.type),
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
        active=values["active"],
        email_verified=values["email_verified"],
        pending_email=values["pending_email"],
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
            "email_verified": user.email_verified,
            "pending_email": user.pending_email,
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
        values = {"user_id": user_id, "value": role.value}
        return _maybe_user(await _SET_ROLE.first(self._lease.connection, values))

    async def set_active(self, user_id: int, active: bool) -> User | None:
        values = {"user_id": user_id, "value": active}
        return _maybe_user(await _SET_ACTIVE.first(self._lease.connection, values))

    async def search(
        self,
        where: UserFilter,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
    ) -> Sequence[User]:
        statement = _search(
            username=where.username_prefix is not None,
            email=where.email_prefix is not None,
            role=where.role is not None,
            active=where.active is not None,
            after=after is not None,
            before=before is not None,
        )
        values = {
            "username_prefix": _like_prefix(where.username_prefix or ""),
            "email_prefix": _like_prefix(where.email_prefix or ""),
            "role": None if where.role is None else where.role.value,
            "active": where.active,
            "key": before if before is not None else after,
            "limit": limit,
        }
        rows = await statement.rows(self._lease.connection, values)
        found = [_to_user(row) for row in rows]
        return found[::-1] if before is not None else found

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
