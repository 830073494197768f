"""The sessions every benchmark renames: agent sessions with a chosen number of chat messages.

Ids are `bench-0000000` ... so that the load script and the seeders agree on them without a
listing of a million ids; the load script gets a random sample of them.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from domain.builders import build_session, chat_run
from domain.session import SessionType, StoredSession

CREATED_AT = 1_760_000_000
SAMPLE_SIZE = 20_000
"""How many distinct ids the load script cycles through (all of them below that)."""


def session_id(number: int) -> str:
    return f"bench-{number:07d}"


def chat_runs(messages: int) -> list[dict[str, Any]]:
    """One finished run holding `messages` chat messages (alternately user, assistant) after a
    system prompt, which the 200 body leaves out."""
    contents = [
        f"Message {index}: a sentence of ordinary length about the weather."
        for index in range(messages)
    ]
    return [chat_run("run-1", contents, CREATED_AT, agent_id="bench-agent")]


def bench_session(number: int, messages: int) -> StoredSession:
    return build_session(
        SessionType.AGENT,
        session_id=session_id(number),
        component_id="bench-agent",
        component_name="Bench Agent",
        user_id="bench-user",
        name="Unnamed",
        runs=chat_runs(messages),
        created_at=CREATED_AT,
        updated_at=CREATED_AT + 60,
        session_state={"step": 1},
        session_metrics={"input_tokens": 120, "output_tokens": 40, "total_tokens": 160},
        metadata={"source": "benchmark"},
        summary={"summary": "A benchmark conversation.", "topics": ["weather"]},
    )


def sampled_numbers(count: int, seed: int = 6) -> list[int]:
    """Up to SAMPLE_SIZE distinct session numbers spread over the whole id range, shuffled."""
    numbers = random.Random(seed).sample(range(count), min(count, SAMPLE_SIZE))
    return numbers


def write_id_file(path: Path, count: int) -> Path:
    path.write_text("".join(session_id(n) + "\n" for n in sampled_numbers(count)), "ascii")
    return path
