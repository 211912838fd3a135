"""The admin use cases; each asks the policy first, with the caller it is given."""

from dataclasses import dataclass

from application.pagination import Page, PageRequest, trim
from application.unit_of_work import UnitOfWork
from application.users.service import role_changed
from domain.audit import AuditEvent, AuditFilter, AuditKind, NewAuditEvent, Origin, user_target
from domain.authorization import Action, authorize
from domain.sessions import RevocationReason
from domain.users import LastAdminError, Role, User, UserFilter, UserNotFoundError


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountChange:
    """What an admin changes of an account; a field left None stays."""

    role: Role | None = None
    active: bool | None = None


class AdminService:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def list_users(
        self, actor: User, where: UserFilter, page: PageRequest[int] | None = None
    ) -> Page[User]:
        """Accounts in id order, with their private fields, as `where` filters them.

        Read from the primary: an admin acting on what they just changed must see it.
        """
        authorize(actor, Action.ADMINISTER_ACCOUNTS)
        page = page or PageRequest()
        page.check()
        async with self._uow.read() as repos:
            rows = await repos.users.search(
                where, limit=page.limit + 1, after=page.after, before=page.before
            )
        return trim(rows, page)

    async def change_account(
        self, actor: User, user_id: int, change: AccountChange, *, origin: Origin | None = None
    ) -> User:
        """Change an account's role or activity, and record each change in the audit trail.

        - Deactivating ends every session of the account at once, in the same
          transaction; its posts are hidden from then on, and its logins
          refused, until it is active again.
        - The last active admin can be neither demoted nor deactivated, by
          themself or anyone (LastAdminError): the admins' rows are locked
          first, so two such changes at once cannot leave none.
        """
        authorize(actor, Action.ADMINISTER_ACCOUNTS)
        origin = origin or Origin()
        async with self._uow.write() as tx:
            admins = list(await tx.users.lock_admins())
            current = await tx.users.get(user_id, for_update=True)
            if current is None:
                raise UserNotFoundError
            leaves_admins = change.role is Role.MEMBER or change.active is False
            if leaves_admins and admins == [user_id]:
                raise LastAdminError
            updated = current
            if change.role is not None and change.role is not current.role:
                updated = await tx.users.set_role(user_id, change.role) or updated
                await tx.audit.record(role_changed(actor.id, updated, origin))
            if change.active is not None and change.active is not current.active:
                updated = await tx.users.set_active(user_id, change.active) or updated
                detail = "activated"
                if not change.active:
                    reason = RevocationReason.ACCOUNT_DEACTIVATED
                    ended = await tx.sessions.revoke_all(user_id, reason=reason)
                    detail = f"deactivated; {ended} sessions ended"
                await tx.audit.record(
                    NewAuditEvent(
                        kind=AuditKind.ACTIVITY_CHANGED,
                        actor_id=actor.id,
                        target=user_target(user_id),
                        detail=detail,
                        origin=origin,
                    )
                )
            await tx.commit()
        return updated

    async def list_audit(
        self, actor: User, where: AuditFilter, page: PageRequest[int] | None = None
    ) -> Page[AuditEvent]:
        """The audit trail, newest first, as `where` filters it; keys are event ids."""
        authorize(actor, Action.ADMINISTER_ACCOUNTS)
        page = page or PageRequest()
        page.check()
        async with self._uow.read() as repos:
            rows = await repos.audit.list(
                where, limit=page.limit + 1, after=page.after, before=page.before
            )
        return trim(rows, page)
