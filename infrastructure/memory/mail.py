"""The mailed tokens and the outbox kept in dicts, with PostgreSQL's rules and locks."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from domain.mail import MailToken, NewMail, NewMailToken, OutgoingMail, TokenPurpose
from infrastructure.memory.schema import OutboxRow, StoredMailToken
from infrastructure.memory.transaction import OpenTransaction


class InMemoryMailTokenRepository:
    """One transaction's view of the tokens; `now` is the transaction's start, as `now()` is."""

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._tokens = transaction.mail_tokens

    async def issue(self, token: NewMailToken) -> bool:
        # The foreign key's KEY SHARE lock on the account, as a session's start takes.
        await self._tx.lock([("users.key", token.user_id)], mode="share")
        if self._tx.users.get(token.user_id) is None:
            return False
        now = self._tx.now
        stored = MailToken(
            id=token.id,
            user_id=token.user_id,
            purpose=token.purpose,
            email=token.email,
            created_at=now,
            expires_at=now + token.lifetime,
        )
        self._tokens.put(token.id, StoredMailToken(digest=token.digest, token=stored))
        return True

    def _live(self, digest: bytes, purpose: TokenPurpose) -> StoredMailToken | None:
        for row in self._tokens.rows():
            if row.digest == digest and row.token.purpose is purpose and self._is_live(row):
                return row
        return None

    def _is_live(self, row: StoredMailToken) -> bool:
        return row.token.used_at is None and row.token.expires_at > self._tx.now

    async def find(self, digest: bytes, purpose: TokenPurpose) -> MailToken | None:
        row = self._live(digest, purpose)
        return None if row is None else row.token

    async def spend(self, digest: bytes, purpose: TokenPurpose) -> MailToken | None:
        row = self._live(digest, purpose)
        if row is None:
            return None
        await self._tx.lock([("mail_tokens", row.token.id)])
        row = self._live(digest, purpose)  # as it is now that the lock is held
        if row is None:
            return None
        spent = replace(row.token, used_at=self._tx.now)
        self._tokens.put(spent.id, replace(row, token=spent))
        return spent

    async def spend_all(self, user_id: int, purpose: TokenPurpose) -> int:
        mine = [
            row
            for row in self._tokens.rows()
            if row.token.user_id == user_id and row.token.purpose is purpose
        ]
        await self._tx.lock([("mail_tokens", row.token.id) for row in mine])
        spent = 0
        for row in mine:
            current = self._tokens.get(row.token.id)
            if current is not None and self._is_live(current):
                token = replace(current.token, used_at=self._tx.now)
                self._tokens.put(token.id, replace(current, token=token))
                spent += 1
        return spent

    async def purge_ended(self) -> int:
        ended = [row.token.id for row in self._tokens.rows() if not self._is_live(row)]
        for token_id in ended:
            self._tx.delete("mail_tokens", token_id)
        return len(ended)


class InMemoryOutboxRepository:
    """One transaction's view of the outbox; a claim skips rows another transaction holds."""

    def __init__(self, transaction: OpenTransaction) -> None:
        self._tx = transaction
        self._outbox = transaction.outbox

    async def add(self, mail: NewMail) -> bool:
        await self._tx.lock([("users.key", mail.user_id)], mode="share")
        if self._tx.users.get(mail.user_id) is None:
            return False
        now = self._tx.now
        stored = OutgoingMail(
            id=mail.id,
            user_id=mail.user_id,
            kind=mail.kind,
            recipient=mail.recipient,
            username=mail.username,
            token_id=mail.token_id,
            valid_for=mail.valid_for,
            detail=mail.detail,
            created_at=now,
            attempts=0,
        )
        self._outbox.put(mail.id, OutboxRow(mail=stored, due_at=now))
        return True

    async def claim(self, *, limit: int, lease: timedelta) -> Sequence[OutgoingMail]:
        due = sorted(
            (row for row in self._outbox.rows() if row.owed and row.due_at <= self._tx.now),
            key=lambda row: row.due_at,
        )
        claimed: list[OutgoingMail] = []
        for row in due:
            if len(claimed) == limit:
                break
            if not self._tx.store.try_lock([("outbox", row.mail.id)], self._tx.identity):
                continue  # SKIP LOCKED
            mail = replace(row.mail, attempts=row.mail.attempts + 1)
            self._outbox.put(mail.id, replace(row, mail=mail, due_at=self._tx.now + lease))
            claimed.append(mail)
        return sorted(claimed, key=lambda mail: mail.created_at)

    async def _change(self, mail_id: UUID, change: Callable[[OutboxRow], OutboxRow]) -> None:
        """Change owed mail as it is once locked: a claim may have counted an attempt meanwhile."""
        await self._tx.lock([("outbox", mail_id)])
        row = self._outbox.get(mail_id)
        if row is not None and row.owed:
            self._outbox.put(mail_id, change(row))

    async def sent(self, mail_id: UUID) -> None:
        now = self._tx.now
        await self._change(mail_id, lambda row: replace(row, sent_at=now))

    async def retry(self, mail_id: UUID, *, after: timedelta, error: str) -> None:
        due = self._tx.now + after
        await self._change(
            mail_id,
            lambda row: replace(row, due_at=due, mail=replace(row.mail, last_error=error)),
        )

    async def give_up(self, mail_id: UUID, *, error: str) -> None:
        now = self._tx.now
        await self._change(
            mail_id,
            lambda row: replace(row, failed_at=now, mail=replace(row.mail, last_error=error)),
        )

    async def purge_ended(self, *, older_than: timedelta) -> int:
        before = self._tx.now - older_than
        ended = [
            row.mail.id
            for row in self._outbox.rows()
            if (row.sent_at is not None and row.sent_at < before)
            or (row.failed_at is not None and row.failed_at < before)
        ]
        for mail_id in ended:
            self._tx.delete("outbox", mail_id)
        return len(ended)
