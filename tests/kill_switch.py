"""kill -9 at a chosen step, for the crash tests' child processes (tests/*_child.py).

The child reads SUMMARIZE_TEST_KILL_AT=STEP:N and kills itself with SIGKILL the Nth time
its code reports STEP; the test runs the child with `run_child` and then once more without.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable

VARIABLE = "SUMMARIZE_TEST_KILL_AT"


def killer() -> Callable[[str], None]:
    """An on_step callback that kills this process at the step the environment names."""
    step, _, nth = os.environ.get(VARIABLE, "").partition(":")
    seen: Counter[str] = Counter()

    def on_step(name: str) -> None:
        seen[name] += 1
        if name == step and seen[name] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)

    return on_step


def run_child(script: str, args: list[str], kill_at: str | None) -> int:
    """Run SCRIPT with ARGS (killing itself at KILL_AT, if given); its return code."""
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    if kill_at:
        env[VARIABLE] = kill_at
    done = subprocess.run([sys.executable, script, *args], env=env, timeout=300, check=False)
    return done.returncode
