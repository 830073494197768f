"""The sessions every benchmark renames: agent sessions with a chosen number of chat messages.

Ids are `bench-0000000` ... so that the load script and the seeders agree on them without a
listing of a million ids; the load script gets a random sample of them.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from domain.session import SessionType, StoredSession

CREATED_AT = 1_760_000_000
SAMPLE_SIZE = 20_000
"""How many distinct ids the load script cycles through (all of them below that)."""


def session_id(number: int) -> str:
    return f"bench-{number:07d}"


def chat_runs(messages: int) -> list[dict[str, Any]]:
    """One finished run holding `messages` chat messages (alternately user, assistant) after a
    system prompt, which the 200 body leaves out."""
    entries: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful assistant.", "created_at": CREATED_AT}
    ]
    for index in range(messages):
        role = "user" if index % 2 == 0 else "assistant"
        entries.append(
            {
                "role": role,
                "content": f"Message {index}: a sentence of ordinary length about the weather.",
                "created_at": CREATED_AT + index,
            }
        )
    return [
        {"run_id": "run-1", "agent_id": "bench-agent", "status": "COMPLETED", "messages": entries}
    ]


def bench_session(number: int, messages: int) -> StoredSession:
    return StoredSession(
        session_id=session_id(number),
        session_type=SessionType.AGENT,
        agent_id="bench-agent",
        user_id="bench-user",
        session_data={
            "session_name": "Unnamed",
            "session_state": {"step": 1},
            "session_metrics": {"input_tokens": 120, "output_tokens": 40, "total_tokens": 160},
        },
        agent_data={"name": "Bench Agent", "agent_id": "bench-agent"},
        metadata={"source": "benchmark"},
        runs=chat_runs(messages),
        summary={"summary": "A benchmark conversation.", "topics": ["weather"]},
        created_at=CREATED_AT,
        updated_at=CREATED_AT + 60,
    )


def sampled_numbers(count: int, seed: int = 6) -> list[int]:
    """Up to SAMPLE_SIZE distinct session numbers spread over the whole id range, shuffled."""
    numbers = random.Random(seed).sample(range(count), min(count, SAMPLE_SIZE))
    return numbers


def write_id_file(path: Path, count: int) -> Path:
    path.write_text("".join(session_id(n) + "\n" for n in sampled_numbers(count)), "ascii")
    return path
