"""Summarise py-spy's raw (collapsed-stack) output: where a server's CPU time goes.

    py-spy record -p PID -d 10 -f raw -o stacks.txt
    python -m benchmarks.profile_summary stacks.txt [--top 25] [--match connexion]
        [--within one_request] [--by-function] [--stages]

Prints the share of samples that include each function (inclusive) and the share spent in the
function itself (self), highest first.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def parse_collapsed(text: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in text.splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def without_line(frame: str) -> str:
    """`f (path.py:12)` -> `f (path.py)`: one entry per function instead of one per line."""
    name, _, location = frame.rpartition(" (")
    return f"{name} ({location.rsplit(':', 1)[0]})" if name else frame


def summarise(
    stacks: list[tuple[list[str], int]], match: str = "", by_function: bool = False
) -> tuple[int, Counter[str], Counter[str]]:
    total = sum(count for _, count in stacks)
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        if by_function:
            frames = [without_line(frame) for frame in frames]
        for frame in set(frames):
            if match in frame:
                inclusive[frame] += count
        if match in frames[-1]:
            own[frames[-1]] += count
    return total, inclusive, own


# Stages of one request through our server, outermost first. A sample belongs to the innermost
# stage on its stack, so each stage's share excludes the stages it calls.
STAGES: tuple[tuple[str, str], ...] = (
    ("Runner.run", "event loop (uvloop), socket reads"),
    ("ServerErrorMiddleware.__call__", "outer middlewares: errors, request id, Swagger UI, route"),
    ("SecurityOperation.__call__", "Connexion security (bearer check)"),
    ("RequestValidationOperation.__call__", "Connexion request validation (parameters, body)"),
    ("ContextOperation.__call__", "Connexion context and operation call"),
    ("DirectArgumentsOperation._call", "handler arguments and answer (server/direct_arguments.py)"),
    ("AsyncResponseDecorator.__call__", "Connexion response decorator (serialise, headers)"),
    ("AsyncParameterDecorator.__call__", "Connexion parameter decorator (arguments, body again)"),
    ("rename_session (", "handler, domain, store (Python side)"),
    ("RequestResponseCycle.send", "uvicorn/httptools response writes"),
    ("_connection_worker_thread", "SQLite (aiosqlite worker thread)"),
)


def stage_shares(stacks: list[tuple[list[str], int]]) -> tuple[int, Counter[str]]:
    """Samples per stage (see STAGES); stacks matching no stage count as `other`."""
    total = 0
    shares: Counter[str] = Counter()
    for frames, count in stacks:
        total += count
        stage = "other"
        for frame in reversed(frames):
            found = next((label for marker, label in STAGES if marker in frame), None)
            if found is not None:
                stage = found
                break
        shares[stage] += count
    return total, shares


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_summary")
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="")
    parser.add_argument("--within", default="", help="only stacks through this frame")
    parser.add_argument("--by-function", action="store_true", help="merge a function's lines")
    parser.add_argument("--stages", action="store_true", help="share of each request stage")
    args = parser.parse_args()
    stacks = parse_collapsed(args.stacks.read_text())
    if args.within:
        stacks = [(f, n) for f, n in stacks if any(args.within in frame for frame in f)]
    if args.stages:
        total, shares = stage_shares(stacks)
        print(f"{total} samples")
        for label, count in shares.most_common():
            print(f"{100 * count / total:6.1f}%  {label}")
        return
    total, inclusive, own = summarise(stacks, args.match, args.by_function)
    print(f"{total} samples")
    for title, counts in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")
        for frame, count in counts.most_common(args.top):
            print(f"{100 * count / total:6.1f}%  {frame}")


if __name__ == "__main__":
    main()
