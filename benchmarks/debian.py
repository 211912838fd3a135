"""Commands the benchmarks need, installed from Debian's packages when missing and allowed."""

import os
import shutil
import subprocess
from typing import Final

_INSTALL_TIMEOUT_SECONDS: Final = 600


class CommandUnavailableError(RuntimeError):
    """A command is missing and cannot be installed here."""


def ensure_command(name: str, package: str | None = None) -> str:
    """Find `name`, installing `package` (by default the command's own name) when it is
    missing and this process may (root, with apt-get); else say how to install it."""
    found = shutil.which(name)
    if found:
        return found
    package = package or name
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise CommandUnavailableError(
            f"{name} is not installed: install it (Debian/Ubuntu: sudo apt-get install -y "
            f"{package}) and run the benchmark again"
        )
    print(f"{name} is missing: installing Debian's package...", flush=True)
    environment = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", package]):
        completed = subprocess.run(  # noqa: S603 - fixed commands
            command,
            env=environment,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if completed.returncode != 0:
            raise CommandUnavailableError(
                f"could not install {package} ({' '.join(command)}):\n{completed.stderr[-2000:]}"
            )
    found = shutil.which(name)
    if not found:
        raise CommandUnavailableError(f"apt-get installed {package}, but {name} is not on PATH")
    return found
