"""What the sign-in use cases take and give, beyond the credentials themselves."""

from dataclasses import dataclass

from application.ports import AccessToken
from domain.audit import Origin


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """The client a login comes from, as far as the interface can tell: kept with the session
    so that its owner can recognise it in their list."""

    user_agent: str = ""
    network: str = ""
    """The client's address widened to a network (see `NewSession.client_network`)."""
    request_id: str = ""
    """What ties the login's audit event to its log lines."""

    @property
    def origin(self) -> Origin:
        return Origin(request_id=self.request_id, client_network=self.network)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPair:
    """What a login or a refresh answers: a short-lived access token and the refresh token
    that gets the next one."""

    access: AccessToken
    refresh_token: str
    refresh_expires_in: int
    """Seconds until the session expires: no refresh token of it works past that."""
