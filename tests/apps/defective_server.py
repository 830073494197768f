"""A small rename server that is correct by default and wrong in exactly one way per defect.

One uvicorn process serves every variant side by side: `/<defect>/sessions/{id}/rename` behaves as
the server with that one defect (`/none/...` has none), each with its own copy of the sessions, so
the conformance suite's proof tests can judge many broken servers without starting many processes.

Run: python -m tests.apps.defective_server --port P --token T
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFECTS: dict[str, str] = {
    "none": "no defect: a conformant server",
    "success_201": "answers 201 instead of 200",
    "problem_json_errors": "error bodies sent as application/problem+json",
    "detail_list_422": "422 detail is a list of error objects (as FastAPI sends)",
    "ignores_auth": "accepts requests without a valid token",
    "forbidden_403": "answers 403 instead of 401 for a wrong token",
    "auth_after_lookup": "unknown ids get 404 before the token is checked",
    "validates_before_auth": "judges the body before the token (recommended order)",
    "ignores_user": "renames sessions of other users",
    "ignores_type": "finds a session whatever type is asked",
    "loses_chat_history": "a rename drops the session's runs (its answer still shows them)",
    "resets_created_at": "a rename sets created_at to the rename time",
    "updated_at_backwards": "each rename moves updated_at an hour back",
    "wrong_id_echoed": "echoes another session_id",
    "stale_name_echoed": "answers with the name from before the rename",
    "agent_body_for_all": "answers every type with an agent-shaped body",
    "unknown_id_400": "an unknown id answers 400",
    "not_found_as_400": "every not-found answers 400 (no 404 at all)",
    "invalid_type_400": "an invalid type answers 400",
    "invalid_body_400": "a malformed body answers 400",
    "crashes_on_non_ascii_name": "500 on any non-ASCII name",
    "crashes_on_db_id": "500 whenever db_id is present",
    "accepts_unencodable_names": "stores lone surrogates and then cannot encode the answer",
    "strips_nul": "silently strips NUL characters from names",
    "accepts_blank_names": "accepts empty and whitespace names (recommended 400)",
    "no_error_code": "error bodies lack error_code (recommended)",
    "rejects_non_ascii_422": "schema-valid non-ASCII names answer 422",
    "unknown_type_is_agent": "any unknown type is treated as agent",
    "team_sessions_missing": "team sessions are never found",
    "no_name_rules": "accepts and stores every string as a name, never answers 400 (recommended)",
    "lenient_body": "a JSON body without a string session_name renames to 'Untitled'",
}

SESSION_TYPES = ("agent", "team", "workflow")
USERS = ("alice@example.com", "bob@example.com")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def listed_sessions() -> list[dict[str, Any]]:
    """The sessions every variant starts with, in the conformance suite's file format."""
    return [
        {"session_id": f"{t}-{u.split('@')[0]}-0001", "type": t, "user_id": u}
        for u in USERS
        for t in SESSION_TYPES
    ]


def _stored(listed: dict[str, Any], number: int) -> dict[str, Any]:
    created = 1_790_000_000 + number * 3600
    history = [
        {"role": "user", "content": f"Hello from {listed['session_id']}", "created_at": created},
        {"role": "assistant", "content": "Hello! How can I help?", "created_at": created + 1},
    ]
    return {
        **listed,
        "name": f"Seeded {listed['type']}",
        "created_at": created,
        "updated_at": created + 60,
        "history": history,
    }


def _timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _precise_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


@dataclass
class Variant:
    defect: str
    token: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sessions = {s["session_id"]: _stored(s, i) for i, s in enumerate(listed_sessions())}

    def has(self, defect: str) -> bool:
        return self.defect == defect

    # Answers ---------------------------------------------------------------------------------
    def error(self, status: int, detail: str, code: str) -> Response:
        body: dict[str, Any] = {"detail": detail, "error_code": code}
        if self.has("no_error_code"):
            del body["error_code"]
        if self.has("detail_list_422") and status == 422:
            body = {"detail": [{"loc": ["request"], "msg": detail, "type": "value_error"}]}
        if self.has("forbidden_403") and status == 401 and detail == "Invalid token":
            status = 403
        if self.has("not_found_as_400") and status == 404:
            status, body["error_code"] = 400, "BAD_REQUEST"
        media = "application/problem+json" if self.has("problem_json_errors") else None
        return JSONResponse(body, status_code=status, media_type=media)

    def detail(self, stored: dict[str, Any], asked_type: str) -> dict[str, Any]:
        shape = "agent" if self.has("agent_body_for_all") else asked_type
        body: dict[str, Any] = {
            "session_id": stored["session_id"] + ("-other" if self.has("wrong_id_echoed") else ""),
            "session_name": stored["name"],
            "user_id": stored["user_id"],
            "session_state": {},
            "metadata": None,
            "created_at": stored["created_at_text"]
            if "created_at_text" in stored
            else _timestamp(stored["created_at"]),
            "updated_at": _timestamp(stored["updated_at"]),
        }
        if shape == "workflow":
            return {
                **body,
                "workflow_id": "wf",
                "workflow_name": "Flow",
                "session_data": None,
                "workflow_data": None,
            }
        body.update(
            session_summary=None,
            total_tokens=None,
            metrics=None,
            chat_history=copy.deepcopy(stored["history"]),
        )
        if shape == "team":
            return {**body, "team_id": "team", "team_data": None}
        return {
            **body,
            "agent_session_id": body["session_id"],
            "agent_id": "agent",
            "agent_data": None,
        }

    # The operation ---------------------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        return self.has("ignores_auth") or request.headers.get("authorization") == (
            f"Bearer {self.token}"
        )

    async def rename(self, request: Request) -> Response:
        session_id = request.path_params["session_id"]
        if self.has("auth_after_lookup") and session_id not in self.sessions:
            return self.error(404, "Session not found", "NOT_FOUND")
        if self.has("validates_before_auth"):
            parsed = await self.parse_body(request)
            if isinstance(parsed, Response):
                return parsed
        if not self.authorized(request):
            header = request.headers.get("authorization")
            detail = "Invalid token" if header and header.startswith("Bearer ") else "Missing token"
            return self.error(401, detail, "UNAUTHENTICATED")
        query = request.query_params
        for key in ("type", "user_id", "db_id", "table"):
            if len(query.getlist(key)) > 1:
                return self.error(422, f"{key} given more than once", "VALIDATION_ERROR")
        if "db_id" in query and self.has("crashes_on_db_id"):
            raise RuntimeError("db_id handling is broken")
        asked_type = query.get("type", "agent")
        if asked_type not in SESSION_TYPES:
            if self.has("unknown_type_is_agent"):
                asked_type = "agent"
            else:
                status = 400 if self.has("invalid_type_400") else 422
                return self.error(
                    status, "type must be agent, team or workflow", "VALIDATION_ERROR"
                )
        parsed = await self.parse_body(request)
        if isinstance(parsed, Response):
            return parsed
        name = parsed
        if self.has("crashes_on_non_ascii_name") and not name.isascii():
            raise RuntimeError("non-ASCII name")
        if self.has("rejects_non_ascii_422") and not name.isascii():
            return self.error(422, "names must be ASCII", "VALIDATION_ERROR")
        problem = self.name_problem(name)
        if problem:
            return self.error(400, f"Invalid session name: {problem}", "BAD_REQUEST")
        if query.get("db_id", "default") != "default" or query.get("table", "agno_sessions") != (
            "agno_sessions"
        ):
            return self.error(404, "No such database or table", "NOT_FOUND")
        stored = self.sessions.get(session_id)
        found = (
            stored is not None
            and not (self.has("team_sessions_missing") and stored["type"] == "team")
            and (self.has("ignores_type") or stored["type"] == asked_type)
            and (self.has("ignores_user") or query.get("user_id") in (None, stored["user_id"]))
        )
        if not found or stored is None:
            if self.has("unknown_id_400") and stored is None:
                return self.error(400, "No such session", "BAD_REQUEST")
            return self.error(404, "Session not found", "NOT_FOUND")
        return self.apply(stored, name, asked_type)

    def apply(self, stored: dict[str, Any], name: str, asked_type: str) -> Response:
        before = self.detail(stored, asked_type)
        stored["name"] = name.replace("\x00", "") if self.has("strips_nul") else name
        now = time.time()
        if self.has("updated_at_backwards"):
            stored["updated_at"] = stored["updated_at"] - 3600
        else:
            stored["updated_at"] = max(int(now), stored["updated_at"])
        if self.has("resets_created_at"):
            stored["created_at_text"] = _precise_timestamp(now)
        body = before if self.has("stale_name_echoed") else self.detail(stored, asked_type)
        if self.has("loses_chat_history"):
            # Like a read-modify-write that cannot parse the runs back: the answer is built from
            # what was read, the row is written without them.
            stored["history"] = []
        if self.has("stale_name_echoed"):
            body["updated_at"] = _timestamp(stored["updated_at"])
        # Encoded by hand so that a name UTF-8 cannot carry fails here, as it would in a real
        # server writing it out.
        # (With no name rules, ASCII escapes keep every name, lone surrogates included, intact.)
        content = json.dumps(body, ensure_ascii=self.has("no_name_rules")).encode("utf-8")
        return Response(
            content,
            status_code=201 if self.has("success_201") else 200,
            media_type="application/json",
        )

    async def parse_body(self, request: Request) -> str | Response:
        status = 400 if self.has("invalid_body_400") else 422
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return self.error(status, "Content-Type must be application/json", "VALIDATION_ERROR")
        raw = await request.body()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self.error(status, "The body is not JSON", "VALIDATION_ERROR")
        if self.has("lenient_body") and not (
            isinstance(body, dict) and isinstance(body.get("session_name"), str)
        ):
            body = {"session_name": "Untitled"}
        if not isinstance(body, dict) or not isinstance(body.get("session_name"), str):
            return self.error(status, "session_name (a string) is required", "VALIDATION_ERROR")
        name: str = body["session_name"]
        return name

    def name_problem(self, name: str) -> str | None:
        if self.has("no_name_rules"):
            return None
        if not name.strip():
            return None if self.has("accepts_blank_names") else "empty"
        if len(name) > 255:
            return "longer than 255 characters"
        if _CONTROL.search(name.replace("\x00", "") if self.has("strips_nul") else name):
            return "control characters"
        if _SURROGATE.search(name) and not self.has("accepts_unencodable_names"):
            return "lone surrogates"
        return None


def create_app(token: str) -> Starlette:
    variants: dict[str, Variant] = {}

    async def rename(request: Request) -> Response:
        defect = request.path_params["defect"]
        if defect not in DEFECTS:
            return JSONResponse({"detail": "unknown defect"}, status_code=404)
        variant = variants.setdefault(defect, Variant(defect, token))
        try:
            return await variant.rename(request)
        except Exception:
            return JSONResponse(
                {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"},
                status_code=500,
            )

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/{defect}/sessions/{session_id:path}/rename", rename, methods=["POST"]),
        ]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.token), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
