"""What a session keeps of the client that started it."""

import re
from typing import Final

USER_AGENT_MAX_LENGTH: Final = 256
CLIENT_NETWORK_MAX_LENGTH: Final = 64

_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SPACES: Final = re.compile(r"\s{2,}")


def trim_user_agent(user_agent: str | None) -> str:
    """The client's `User-Agent`, fit to store and to show in a list of sessions.

    Anyone may send any header: control characters go (a list rendered in a
    terminal or a log must not be rewritten by one), runs of spaces shrink to
    one, and the rest is cut at USER_AGENT_MAX_LENGTH characters.
    """
    if not user_agent:
        return ""
    cleaned = _SPACES.sub(" ", _UNPRINTABLE.sub(" ", user_agent)).strip()
    return cleaned[:USER_AGENT_MAX_LENGTH]
