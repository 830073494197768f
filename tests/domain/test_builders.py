from __future__ import annotations

import pytest

from domain.builders import build_session, chat_run, workflow_run
from domain.detail import session_detail
from domain.session import SessionType
from server.demo import demo_sessions


@pytest.mark.parametrize("session_type", list(SessionType))
def test_a_session_belongs_to_a_component_of_its_own_type(session_type: SessionType) -> None:
    session = build_session(
        session_type,
        session_id="s",
        component_id="c-1",
        component_name="C",
        user_id=None,
        name=None,
        runs=[chat_run("r", ["hi", "hello"], 10, agent_id="c-1")],
        created_at=10,
        updated_at=11,
    )
    owners = {
        SessionType.AGENT: (session.agent_id, session.agent_data),
        SessionType.TEAM: (session.team_id, session.team_data),
        SessionType.WORKFLOW: (session.workflow_id, session.workflow_data),
    }
    for kind, (component_id, data) in owners.items():
        expected = ("c-1", {"name": "C", f"{kind.value}_id": "c-1"})
        assert (component_id, data) == (expected if kind is session_type else (None, None))
    assert session.session_data == {} and session.session_name is None


def test_chat_runs_alternate_user_and_assistant_after_the_system_prompt() -> None:
    run = chat_run("r", ["q1", "a1", "q2"], 100)
    assert [(m["role"], m["created_at"]) for m in run["messages"]] == [
        ("system", 100),
        ("user", 100),
        ("assistant", 101),
        ("user", 102),
    ]
    assert workflow_run("w", "go")["input"] == "go"


def test_demo_sessions_cover_every_type_for_two_users_and_render() -> None:
    sessions = demo_sessions(2_000_000_000)
    assert sorted((s.user_id or "", s.session_type.value) for s in sessions) == sorted(
        (user, kind.value)
        for user in ("alice@example.com", "bob@example.com")
        for kind in SessionType
    )
    for session in sessions:
        body = session_detail(session)
        assert body["session_name"] == session.session_name
        assert body["session_id"] == session.session_id
