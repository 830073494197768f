"""A stored Agno session, as every store backend hands it back."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

JSONObject = dict[str, Any]


class SessionType(enum.StrEnum):
    AGENT = "agent"
    TEAM = "team"
    WORKFLOW = "workflow"


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One row of Agno's session table, with its JSON columns decoded once."""

    session_id: str
    session_type: SessionType
    user_id: str | None = None
    agent_id: str | None = None
    team_id: str | None = None
    workflow_id: str | None = None
    session_data: JSONObject | None = None
    agent_data: JSONObject | None = None
    team_data: JSONObject | None = None
    workflow_data: JSONObject | None = None
    metadata: JSONObject | None = None
    runs: list[Any] | None = None
    summary: JSONObject | None = None
    created_at: int = 0
    updated_at: int | None = None

    @property
    def session_name(self) -> str | None:
        name = (self.session_data or {}).get("session_name")
        return name if isinstance(name, str) else None


@dataclass(frozen=True, slots=True)
class RenameRequest:
    """Everything a store needs to rename one session; `user_id` None means unscoped."""

    session_id: str
    session_type: SessionType
    new_name: str
    user_id: str | None
    now: int
