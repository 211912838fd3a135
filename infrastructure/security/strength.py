"""How easy a password is to guess, estimated by zxcvbn (Dropbox's estimator, from PyPI)."""

from collections.abc import Sequence
from typing import Final

from domain.users import WeakPasswordError
from infrastructure.security.executor import BoundedExecutor

ESTIMATED_PREFIX: Final = 16
"""Characters of a password that are estimated; the rest is not looked at.

zxcvbn's cost grows with the square of the length, times up to about a
hundred for a password full of leet characters ('4@8(6#!|1l0$5+7%2'): 128 of
those took it 1.9 s of CPU, against 3 ms for a usual password. Sixteen bound
the worst to about 40 ms. Estimating a prefix is conservative: whoever
guesses the whole password guesses its prefix too, so a strong prefix is a
strong password, and a long one is refused only when its first sixteen
characters alone are easy to guess (a repeated word, a run of digits).
"""

DEFAULT_QUEUE: Final = 16


class ZxcvbnPasswordStrength:
    """Refuses passwords whose zxcvbn score is under `min_score` (0 to 4).

    zxcvbn matches against its own frequency lists (common passwords, words,
    names), keyboard patterns, sequences, repeats and dates, and the user's
    own inputs. It keeps those inputs in a module-level dictionary for the
    duration of a call, so calls must not overlap: they run on one thread
    of their own, which also keeps the pure-Python work off the event loop.
    """

    def __init__(self, *, min_score: int, executor: BoundedExecutor | None = None) -> None:
        self._min_score = min_score
        self.executor = executor or BoundedExecutor(
            concurrency=1, queue=DEFAULT_QUEUE, name="zxcvbn"
        )

    async def refuse_if_weak(self, password: str, *, user_inputs: Sequence[str]) -> None:
        if self._min_score == 0:
            return
        score, advice = await self.executor.run(
            _estimate, password[:ESTIMATED_PREFIX], tuple(user_inputs)
        )
        if score < self._min_score:
            message = "Password is too easy to guess"
            raise WeakPasswordError(f"{message}: {advice}" if advice else message)


def _estimate(password: str, user_inputs: tuple[str, ...]) -> tuple[int, str]:
    """The score, and zxcvbn's warning and suggestions in one sentence or two.

    zxcvbn is imported at the first estimate, not with this module: its
    frequency lists take about 14 MiB, which a worker that only serves reads
    and logins (no registration, no password change) should never hold.
    """
    from zxcvbn import zxcvbn  # noqa: PLC0415 - see the docstring

    result = zxcvbn(password, user_inputs=user_inputs, max_length=ESTIMATED_PREFIX)
    feedback = result["feedback"]
    advice = " ".join(part for part in (feedback["warning"], *feedback["suggestions"]) if part)
    return int(result["score"]), advice
