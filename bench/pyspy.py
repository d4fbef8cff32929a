"""Sums a py-spy profile (`py-spy record -f raw`) per process and function.

`python -m bench.pyspy FILE [TOP]` prints, for each process (the projector, its fold
worker, the checkpointer thread), its samples and the functions with the largest share
of them, counting each function once per stack (inclusive time). py-spy itself is not a
project dependency: `pip install --target /tmp/pyspy py-spy`, then, on a copy of a kept
store,

    PYTHONPATH=/tmp/pyspy /tmp/pyspy/bin/py-spy record --subprocesses -r 50 -f raw \\
        -o catch-up.txt -- .venv/bin/python -m bench.catchup sqlite:////tmp/copy.db catch-up
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

_FRAME = re.compile(r"(?P<name>.*) \((?P<file>.*?):\d+\)$")


def side(frames: list[str]) -> str:
    """Which process or thread a stack belongs to."""
    if any(f.startswith("process ") and "spawn_main" in f for f in frames[1:]):
        return "fold worker"
    if any("Checkpointer._run" in f for f in frames):
        return "checkpointer thread"
    return "projector"


def summary(path: Path, top: int = 25) -> str:
    """The report for one raw py-spy file."""
    samples: Counter[str] = Counter()
    functions: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        who = side(frames)
        samples[who] += int(count)
        seen = set()
        for frame in frames:
            m = _FRAME.match(frame)
            if m is not None:
                seen.add(f"{m['name']} ({Path(m['file']).name})")
        for name in seen:
            functions[who][name] += int(count)
    out = []
    for who, total in samples.most_common():
        out.append(f"{who}: {total} samples")
        for name, n in functions[who].most_common(top):
            out.append(f"  {100 * n / total:5.1f} %  {name}")
    return "\n".join(out)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
