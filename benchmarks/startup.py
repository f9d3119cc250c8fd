"""How fast does `summarize --help` start? Target: under 0.3 s on the 2-core dev machine.

Prints a table: median wall time over N runs of `summarize --help`, `summarize file --help`,
against a bare `python -c pass` and `python -c "import openai"` measured in the same run.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "summarize --help": [sys.executable, "-m", "summarize", "--help"],
    "summarize file --help": [sys.executable, "-m", "summarize", "file", "--help"],
    "python -c 'import openai' (what we avoid)": [sys.executable, "-c", "import openai"],
}


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = {name: median_seconds(cmd, args.runs) for name, cmd in CASES.items()}
    base = results["python -c pass (baseline)"]
    print(f"{'command':45} {'median s':>9} {'x baseline':>11}")
    for name, seconds in results.items():
        print(f"{name:45} {seconds:9.3f} {seconds / base:11.1f}")


if __name__ == "__main__":
    main()
