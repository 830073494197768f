"""A small rename server that is correct by default and wrong in exactly one way per defect.

One uvicorn process serves every variant side by side: `/<defect>/sessions/{id}/rename` behaves as
the server with that one defect (`/none/...` has none), each with its own copy of the sessions, so
the conformance suite's proof tests can judge many broken servers without starting many processes.

Run: python -m tests.apps.defective_server --port P --token T
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import fnmatch
import html
import json
import re
import time
import unicodedata
import urllib.parse
import uuid
from collections.abc import Callable
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
    "ids_trimmed": "finds a session by its id with surrounding whitespace",
    "user_trimmed": "matches user_id with surrounding whitespace to the owner",
    "no_www_authenticate": "401 answers without a WWW-Authenticate header",
    "token_first_word": "accepts 'Bearer <token> junk' (only the first word is compared)",
    "basic_password_is_token": "accepts Basic credentials whose password is the token",
    "renames_all_same_type": "a rename renames every session of the type (UPDATE without the id)",
    "auth_detail_names_session": "a 401's detail names the session only when it exists",
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
    "no_name_rules": "accepts every string as a name (and table without db_id): never a 400",
    "lenient_body": "a JSON body without a string session_name renames to 'Untitled'",
    "coerces_name_types": "a session_name of true, false, a list or an object is kept as JSON",
    "writes_before_type_check": "stores a non-string session_name as JSON text, then answers 422",
    # What a rename changes.
    "omits_null_fields": "200 bodies leave out fields whose value is null",
    "rename_resets_state": "a rename resets session_state to {}",
    "session_data_replaced": "a rename replaces session_data with {session_name} only",
    "session_data_name_stale": "a workflow's session_data keeps the name from before the rename",
    "history_fields_dropped": "a rename drops created_at from every chat_history message",
    "updated_at_frozen": "a rename leaves updated_at as it was",
    "updated_at_local_time": "updated_at is the local time of UTC-5 written as UTC (5 hours off)",
    "rename_wipes_owner": "a rename writes the row back without its owner (user_id null)",
    "unscoped_rename_wipes_owner": "a rename without user_id writes user_id null (from the query)",
    "updated_at_not_stored": "answers the rename time as updated_at but never stores it",
    "writes_before_scoping": "renames by id alone, then answers 404 for another type or user",
    "refused_wipes_history": "a rename refused for another type or user still drops the runs",
    "writes_before_name_check": "stores an invalid name, then answers 400",
    "stores_trimmed_echoes_sent": "echoes the name sent but stores it trimmed",
    # Identity and parameters.
    "ids_case_insensitive": "session ids compared case-insensitively",
    "id_prefix_match": "a session found by any prefix of its id (startswith)",
    "user_case_insensitive": "user_id compared case-insensitively",
    "empty_user_is_any": "an empty user_id means any user",
    "null_user_is_any": "user_id=null is read as no user_id (any user)",
    "ownerless_any_user": "a session without an owner is found whatever user_id is given",
    "known_user_is_any": "any user_id that owns some session may rename every session",
    "no_type_matches_any": "without type, a session of any type is found",
    "type_case_insensitive": "type compared case-insensitively",
    "empty_type_is_agent": "an empty type means agent",
    "db_id_ignored": "any db_id names the one database",
    "id_like_match": "ids compared with SQL LIKE (case-sensitive): _ and % are wildcards",
    "id_regex_match": "ids compared as an anchored regular expression: . matches any character",
    "id_glob_match": "ids compared with SQLite's GLOB: ? and * are wildcards",
    "id_sql_spliced": "the id spliced into a quoted SQL literal: x' OR '1'='1 finds any session",
    "ids_double_decoded": "percent-decodes the path's id a second time",
    "user_like_match": "user_id compared with SQL LIKE (case-sensitive): _ and % are wildcards",
    "user_sql_spliced": "user_id spliced into a quoted SQL literal: x' OR '1'='1 finds any session",
    # Requests at once.
    "shared_request_state": "the request being handled is kept in one shared attribute",
    "fails_when_overlapping": "a request arriving while another is handled fails (500)",
    # Credentials.
    "token_startswith": "accepts any Authorization header starting with 'Bearer <token>'",
    "token_contained": "accepts any Authorization header containing the token",
    "token_prefix_ok": "accepts a token that is a prefix of the real one",
    "token_case_insensitive": "compares the token case-insensitively",
    "bearer_case_sensitive": "accepts only 'Bearer' written with a capital B",
    # Media types and methods.
    "accepts_form": "accepts form-encoded bodies",
    "ignores_content_type": "parses the body as JSON whatever its Content-Type",
    "exact_content_type": "accepts only a Content-Type of exactly application/json",
    "no_allow_header": "405 without an Allow header",
    # Names.
    "strips_names": "stores and echoes names trimmed",
    "nfc_names": "stores and echoes names NFC-normalised",
    "nfkc_names": "stores and echoes names NFKC-normalised",
    "lowercases_names": "stores and echoes names in lower case",
    "truncates_names": "cuts names to 100 characters",
    "html_escapes_names": "stores and echoes names HTML-escaped",
    "html_unescapes_names": "stores and echoes names with HTML entities decoded",
    "strips_markup": "stores and echoes names with <tags> removed",
    "sql_escapes_names": "stores names with quotes doubled and backslashes escaped",
    "json_unescapes_names": "decodes backslash escapes in names a second time",
    "escapes_like_wildcards": "stores names with %, _ and backslash escaped for LIKE",
    "rejects_same_name": "refuses to rename a session to the name it has (400)",
    "unique_names": "refuses a name another session of the user has (400)",
    "unique_names_per_type": "refuses a name another session of the same type has (400)",
    # Recommended.
    "ascii_blank_only": "judges blank names by ASCII whitespace only (recommended Unicode)",
    "table_without_db_id_ok": "accepts table without db_id (recommended 400)",
}

LEGITIMATE_VARIANTS: dict[str, str] = {
    "ok_no_read": "no GET /sessions/{id} (the suite cannot read sessions back)",
    "ok_long_names": "accepts names of any length",
    "ok_lookup_first": "looks the session up before judging the name (404 before 400)",
    "ok_precise_times": "timestamps with microseconds and a +00:00 offset",
    "ok_refuses_padded": "refuses names with leading or trailing whitespace (400)",
    "ok_short_names": "refuses names longer than 64 characters (400)",
    "ok_request_ids": "error bodies carry a request_id, an RFC 9457 instance and a timestamp",
    "ok_strict_url_decoder": "refuses a path with an encoded % (%25) with 400, as some firewalls",
}
"""Correct servers that differ where the document allows it: the suite must pass them."""

SESSION_TYPES = ("agent", "team", "workflow")
USERS = ("alice@example.com", "bob@example.com")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
NAME_LIMIT = 255
OVERLAP_SECONDS = 0.02
"""How long the two concurrency defects keep a request in flight (an await on a database)."""
_REFUSED = "__refused__"


def listed_sessions() -> list[dict[str, Any]]:
    """The sessions every variant starts with, in the conformance suite's file format: each type
    for two users, and (listed last, so not the first of its type) an agent session without an
    owner."""
    owned = [
        {"session_id": f"{t}-{u.split('@')[0]}-0001", "type": t, "user_id": u}
        for u in USERS
        for t in SESSION_TYPES
    ]
    return [*owned, {"session_id": "agent-nobody-0001", "type": "agent", "user_id": None}]


SEEDED_DAYS_AGO = 30


def _stored(listed: dict[str, Any], number: int) -> dict[str, Any]:
    # Seeded in the past of this machine's clock, so a rename moves updated_at to now.
    created = int(time.time()) - SEEDED_DAYS_AGO * 86_400 + number * 3600
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
        "state": {"step": number, "cart": ["tea"]},
        "metadata": {"source": "seed", "number": number},
        "summary": {"summary": "A greeting.", "topics": ["hello"]},
        "metrics": {"input_tokens": 10 + number, "output_tokens": 5, "total_tokens": 15 + number},
        "extra_data": {"session_metrics": {"total_tokens": 15 + number}},
    }


def _timestamp(epoch: float, precise: bool) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.isoformat() if precise else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _like(pattern: str, text: str) -> bool:
    """SQL LIKE as PostgreSQL reads it: case-sensitive, `_` any one character, `%` any run,
    a backslash escaping the next character."""
    parts, escaped = [], False
    for char in pattern:
        if escaped or char not in "\\%_":
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char == "%" else ".")
    return re.fullmatch("".join(parts), text, re.DOTALL) is not None


def _regex(pattern: str, text: str) -> bool:
    """The id as an anchored regular expression (a document store's `$regex: ^...$`)."""
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False


def _glob(pattern: str, text: str) -> bool:
    """SQLite's GLOB: case-sensitive, `?` any one character, `*` any run, `[...]` a set."""
    return fnmatch.fnmatchcase(text, pattern)


def _spliced_true(value: str) -> bool:
    """Whether `value`, written between the quotes of an SQL literal, closes it and ORs a
    condition true for every row (`x' OR '1'='1`)."""
    return re.search(r"'\s*OR\s*'([^']*)'\s*=\s*'\1$", value, re.IGNORECASE) is not None


def _normalized_media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    return None if value is None else value.split(";")[0].strip().lower()


@dataclass
class Variant:
    defect: str
    token: str
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    handling: Any = None
    in_flight: bool = False

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
        if self.has("ok_request_ids"):
            request_id = uuid.uuid4().hex
            body["request_id"] = request_id
            body["instance"] = f"/requests/{request_id}"
            body["timestamp"] = datetime.now(UTC).isoformat()
        media = "application/problem+json" if self.has("problem_json_errors") else None
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if self.has("no_www_authenticate"):
            headers = None
        return JSONResponse(body, status_code=status, media_type=media, headers=headers)

    def detail(self, stored: dict[str, Any], asked_type: str) -> dict[str, Any]:
        shape = "agent" if self.has("agent_body_for_all") else asked_type
        precise = self.has("ok_precise_times")
        body: dict[str, Any] = {
            "session_id": stored["session_id"] + ("-other" if self.has("wrong_id_echoed") else ""),
            "session_name": stored["name"],
            "user_id": stored["user_id"],
            "session_state": copy.deepcopy(stored["state"]),
            "metadata": copy.deepcopy(stored["metadata"]),
            "created_at": stored["created_at_text"]
            if "created_at_text" in stored
            else _timestamp(stored["created_at"], precise),
            "updated_at": _timestamp(stored["updated_at"], precise),
        }
        if shape == "workflow":
            data = stored.get("session_data_override") or {
                "session_name": stored.get("data_name", stored["name"]),
                "session_state": copy.deepcopy(stored["state"]),
                **copy.deepcopy(stored["extra_data"]),
            }
            body.update(
                workflow_id="wf",
                workflow_name=None,
                session_data=data,
                workflow_data={"name": "Flow"},
            )
        else:
            body.update(
                session_summary=copy.deepcopy(stored["summary"]),
                total_tokens=stored["metrics"]["total_tokens"],
                metrics=copy.deepcopy(stored["metrics"]),
                chat_history=copy.deepcopy(stored["history"]),
            )
            if shape == "team":
                body.update(team_id="team", team_data=None)
            else:
                body.update(agent_session_id=body["session_id"], agent_id="agent", agent_data=None)
        if self.has("omits_null_fields"):
            body = {key: value for key, value in body.items() if value is not None}
        return body

    def json_answer(self, body: dict[str, Any], status: int = 200) -> Response:
        # Encoded by hand so that a name UTF-8 cannot carry fails here, as it would in a real
        # server writing it out.
        # (With no name rules, ASCII escapes keep every name, lone surrogates included, intact.)
        content = json.dumps(body, ensure_ascii=self.has("no_name_rules")).encode("utf-8")
        return Response(content, status_code=status, media_type="application/json")

    # Credentials -----------------------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        if self.has("ignores_auth"):
            return True
        header = request.headers.get("authorization", "")
        if self.has("token_startswith"):
            return header.startswith(f"Bearer {self.token}")
        if self.has("token_contained"):
            return self.token in header
        scheme, _, given = header.partition(" ")
        if self.has("basic_password_is_token") and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(given).decode(errors="replace")
            except ValueError:
                return False
            return decoded.partition(":")[2] == self.token
        if self.has("token_first_word") and given.split():
            given = given.split()[0]
        if scheme != "Bearer" and (self.has("bearer_case_sensitive") or scheme.lower() != "bearer"):
            return False
        if self.has("token_prefix_ok"):
            return bool(given) and self.token.startswith(given)
        if self.has("token_case_insensitive"):
            return given.lower() == self.token.lower()
        return given == self.token

    def unauthorized(self, request: Request) -> Response:
        header = request.headers.get("authorization")
        bearer = header is not None and header.lower().startswith("bearer ")
        detail = "Invalid token" if bearer else "Missing token"
        session_id = request.path_params.get("session_id")
        if self.has("auth_detail_names_session") and session_id in self.sessions:
            detail = f"{detail} for session {session_id}"
        return self.error(401, detail, "UNAUTHENTICATED")

    # Finding a session ----------------------------------------------------------------------
    def lookup(self, session_id: str, asked_type: str | None, user_id: str | None) -> Any:
        """The stored session the request names, or None."""
        if self.has("ids_double_decoded"):
            session_id = urllib.parse.unquote(session_id)
        if self.has("user_sql_spliced") and user_id is not None and _spliced_true(user_id):
            # ... AND user_id = 'x' OR '1'='1': true for every row; the first one is taken.
            return next(iter(self.sessions.values()))
        if self.has("id_sql_spliced") and _spliced_true(session_id):
            # session_id = 'x' OR '1'='1' AND session_type = ? AND user_id = ?: any session the
            # rest of the filter lets through.
            candidates = list(self.sessions.values())
        else:
            stored = self.find(session_id)
            candidates = [] if stored is None else [stored]
        return next((s for s in candidates if self.in_scope(s, asked_type, user_id)), None)

    def find(self, session_id: str) -> Any:
        stored = self.sessions.get(session_id)
        if stored is None and self.has("ids_trimmed"):
            stored = self.sessions.get(session_id.strip())
        if stored is None and self.has("ids_case_insensitive"):
            stored = next(
                (s for k, s in self.sessions.items() if k.lower() == session_id.lower()), None
            )
        if stored is None and self.has("id_prefix_match") and session_id:
            stored = next((s for k, s in self.sessions.items() if k.startswith(session_id)), None)
        matches: dict[str, Callable[[str, str], bool]] = {
            "id_like_match": _like,
            "id_regex_match": _regex,
            "id_glob_match": _glob,
        }
        for defect, matches_id in matches.items():
            if stored is None and self.has(defect):
                stored = next(
                    (s for k, s in self.sessions.items() if matches_id(session_id, k)), None
                )
        return stored

    def in_scope(self, stored: dict[str, Any], asked_type: str | None, user_id: str | None) -> bool:
        if self.has("team_sessions_missing") and stored["type"] == "team":
            return False
        if asked_type is None:
            asked_type = None if self.has("no_type_matches_any") else "agent"
        if asked_type is not None and stored["type"] != asked_type and not self.has("ignores_type"):
            return False
        if user_id is None or self.has("ignores_user"):
            return True
        if user_id == "" and self.has("empty_user_is_any"):
            return True
        if user_id == "null" and self.has("null_user_is_any"):
            return True
        if self.has("known_user_is_any") and any(
            s["user_id"] == user_id for s in self.sessions.values()
        ):
            return True
        owner = stored["user_id"]
        if owner is None:
            # WHERE user_id = ? never matches a NULL owner.
            return self.has("ownerless_any_user")
        if self.has("user_trimmed"):
            user_id = user_id.strip()
        if self.has("user_case_insensitive"):
            return bool(owner.lower() == user_id.lower())
        if self.has("user_like_match"):
            return _like(user_id, owner)
        return bool(owner == user_id)

    def asked_type(self, request: Request) -> str | Response | None:
        value = request.query_params.get("type")
        if value is None:
            return None
        if self.has("type_case_insensitive"):
            value = value.lower()
        if value == "" and self.has("empty_type_is_agent"):
            value = "agent"
        if value in SESSION_TYPES:
            return value
        if self.has("unknown_type_is_agent"):
            return "agent"
        status = 400 if self.has("invalid_type_400") else 422
        return self.error(status, "type must be agent, team or workflow", "VALIDATION_ERROR")

    # The operation ---------------------------------------------------------------------------
    async def rename(self, request: Request) -> Response:
        session_id = request.path_params["session_id"]
        if self.has("ok_strict_url_decoder") and b"%25" in request.scope.get("raw_path", b""):
            return self.error(400, "Encoded percent signs are refused", "BAD_REQUEST")
        if self.has("auth_after_lookup") and session_id not in self.sessions:
            return self.error(404, "Session not found", "NOT_FOUND")
        if self.has("validates_before_auth"):
            parsed = await self.parse_body(request)
            if isinstance(parsed, Response):
                return parsed
        if not self.authorized(request):
            return self.unauthorized(request)
        query = request.query_params
        for key in ("type", "user_id", "db_id", "table"):
            if len(query.getlist(key)) > 1:
                return self.error(422, f"{key} given more than once", "VALIDATION_ERROR")
        if "db_id" in query and self.has("crashes_on_db_id"):
            raise RuntimeError("db_id handling is broken")
        asked = self.asked_type(request)
        if isinstance(asked, Response):
            return asked
        parsed = await self.parse_body(request)
        if isinstance(parsed, Response):
            if self.has("writes_before_type_check"):
                await self.write_raw_name(request, session_id, asked)
            return parsed
        name = parsed
        if self.has("crashes_on_non_ascii_name") and not name.isascii():
            raise RuntimeError("non-ASCII name")
        if self.has("rejects_non_ascii_422") and not name.isascii():
            return self.error(422, "names must be ASCII", "VALIDATION_ERROR")
        user_id = query.get("user_id")
        if self.has("shared_request_state"):
            # The request being handled kept in one attribute, read back after an await.
            self.handling = (session_id, name, asked, user_id)
            await asyncio.sleep(OVERLAP_SECONDS)
            session_id, name, asked, user_id = self.handling
        if self.has("fails_when_overlapping"):
            if self.in_flight:
                raise RuntimeError("cannot start a transaction within a transaction")
            self.in_flight = True
            try:
                await asyncio.sleep(OVERLAP_SECONDS)
            finally:
                self.in_flight = False
        stored = self.lookup(session_id, asked, user_id)
        if self.has("ok_lookup_first") and stored is None:
            return self.error(404, "Session not found", "NOT_FOUND")
        problem = self.name_problem(name, stored)
        if problem:
            if self.has("writes_before_name_check") and stored is not None:
                stored["name"] = name
            return self.error(400, f"Invalid session name: {problem}", "BAD_REQUEST")
        lenient = self.has("table_without_db_id_ok") or self.has("no_name_rules")
        if "table" in query and "db_id" not in query and not lenient:
            return self.error(400, "table needs db_id", "BAD_REQUEST")
        db_id = "default" if self.has("db_id_ignored") else query.get("db_id", "default")
        if db_id != "default" or query.get("table", "agno_sessions") != "agno_sessions":
            return self.error(404, "No such database or table", "NOT_FOUND")
        if stored is None:
            return self.not_found(session_id, name)
        if self.has("unscoped_rename_wipes_owner") and "user_id" not in query:
            stored["user_id"] = None  # SET user_id = :user_id, with no user_id given
        return self.apply(stored, name, asked or "agent")

    def not_found(self, session_id: str, name: str) -> Response:
        unscoped = self.sessions.get(session_id)
        if unscoped is not None and self.has("writes_before_scoping"):
            unscoped["name"] = name  # UPDATE ... WHERE session_id = ? (no type, no user)
        if unscoped is not None and self.has("refused_wipes_history"):
            unscoped["history"] = []  # a read-modify-write of the row it then refused
        if self.has("unknown_id_400") and unscoped is None:
            return self.error(400, "No such session", "BAD_REQUEST")
        return self.error(404, "Session not found", "NOT_FOUND")

    def apply(self, stored: dict[str, Any], name: str, asked_type: str) -> Response:
        before = self.detail(stored, asked_type)
        before_updated = stored["updated_at"]
        if self.has("session_data_name_stale"):
            stored.setdefault("data_name", stored["name"])  # only the column is updated
        stored["name"] = self.kept_name(name)
        if self.has("renames_all_same_type"):
            for other in self.sessions.values():
                if other["type"] == stored["type"]:
                    other["name"] = stored["name"]
        now = time.time()
        if self.has("updated_at_backwards"):
            stored["updated_at"] = stored["updated_at"] - 3600
        elif self.has("updated_at_local_time"):
            stored["updated_at"] = max(int(now) - 5 * 3600, stored["updated_at"])
        elif not self.has("updated_at_frozen"):
            stored["updated_at"] = max(
                now if self.has("ok_precise_times") else int(now), stored["updated_at"]
            )
        if self.has("rename_wipes_owner"):
            stored["user_id"] = None
        if self.has("resets_created_at"):
            stored["created_at_text"] = datetime.fromtimestamp(now, tz=UTC).isoformat()
        if self.has("rename_resets_state"):
            stored["state"] = {}
        if self.has("session_data_replaced"):
            stored["session_data_override"] = {"session_name": stored["name"]}
        if self.has("history_fields_dropped"):
            stored["history"] = [
                {k: v for k, v in m.items() if k != "created_at"} for m in stored["history"]
            ]
        body = before if self.has("stale_name_echoed") else self.detail(stored, asked_type)
        if self.has("updated_at_not_stored"):
            body["updated_at"] = _timestamp(now, False)
            stored["updated_at"] = before_updated
        if self.has("stores_trimmed_echoes_sent"):
            body["session_name"] = name
            if "session_data" in body:
                body["session_data"]["session_name"] = name
        if self.has("loses_chat_history"):
            # Like a read-modify-write that cannot parse the runs back: the answer is built from
            # what was read, the row is written without them.
            stored["history"] = []
        if self.has("stale_name_echoed"):
            body["updated_at"] = _timestamp(stored["updated_at"], False)
        response = self.json_answer(body)
        if self.has("success_201"):
            response.status_code = 201
        return response

    def kept_name(self, name: str) -> str:
        """The name as this variant stores it (the correct one: exactly as sent)."""
        if self.has("strips_nul"):
            return name.replace("\x00", "")
        if self.has("strips_names") or self.has("stores_trimmed_echoes_sent"):
            return name.strip()
        if self.has("nfc_names"):
            return unicodedata.normalize("NFC", name)
        if self.has("nfkc_names"):
            return unicodedata.normalize("NFKC", name)
        if self.has("lowercases_names"):
            return name.lower()
        if self.has("truncates_names"):
            return name[:100]
        return self.escaped_name(name)

    def escaped_name(self, name: str) -> str:
        """Escaping layers applied (or undone) once too often."""
        if self.has("html_escapes_names"):
            return html.escape(name)
        if self.has("html_unescapes_names"):
            return html.unescape(name)
        if self.has("strips_markup"):
            return re.sub(r"<[^>]*>", "", name)
        if self.has("sql_escapes_names"):
            return name.replace("\\", "\\\\").replace("'", "''")
        if self.has("escapes_like_wildcards"):
            return re.sub(r"([%_\\])", r"\\\1", name)
        if self.has("json_unescapes_names"):
            try:
                decoded = json.loads(f'"{name}"')
            except ValueError:
                return name
            return decoded if isinstance(decoded, str) else name
        return name

    async def write_raw_name(self, request: Request, session_id: str, asked: str | None) -> None:
        """A write of whatever session_name came, before its type is judged."""
        try:
            body = json.loads(await request.body())
        except ValueError:
            return
        if not isinstance(body, dict) or body.get("session_name") is None:
            return
        stored = self.lookup(session_id, asked, request.query_params.get("user_id"))
        if stored is not None:
            stored["name"] = json.dumps(body["session_name"])

    async def parse_body(self, request: Request) -> str | Response:
        status = 400 if self.has("invalid_body_400") else 422
        raw = await request.body()
        media_type = _normalized_media_type(request)
        if self.has("exact_content_type"):
            acceptable = request.headers.get("content-type") == "application/json"
        elif self.has("ignores_content_type"):
            acceptable = True
        else:
            acceptable = media_type in (None, "application/json")
        if self.has("accepts_form") and media_type == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
            raw = json.dumps({"session_name": form.get("session_name", [""])[0]}).encode()
            acceptable = True
        if not acceptable:
            return self.error(status, "Content-Type must be application/json", "VALIDATION_ERROR")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self.error(status, "The body is not JSON", "VALIDATION_ERROR")
        if self.has("lenient_body") and not (
            isinstance(body, dict) and isinstance(body.get("session_name"), str)
        ):
            body = {"session_name": "Untitled"}
        if self.has("coerces_name_types") and isinstance(body, dict):
            value = body.get("session_name")
            if isinstance(value, bool | list | dict):
                body = {"session_name": json.dumps(value)}
        if not isinstance(body, dict) or not isinstance(body.get("session_name"), str):
            return self.error(status, "session_name (a string) is required", "VALIDATION_ERROR")
        name: str = body["session_name"]
        return name

    def name_problem(self, name: str, stored: dict[str, Any] | None) -> str | None:
        if self.has("no_name_rules"):
            return None
        blank = not name.strip(" \t\r\n\f\v") if self.has("ascii_blank_only") else not name.strip()
        if blank:
            return None if self.has("accepts_blank_names") else "empty"
        if self.has("ok_refuses_padded") and name != name.strip():
            return "leading or trailing whitespace"
        limit = 64 if self.has("ok_short_names") else NAME_LIMIT
        if len(name) > limit and not self.has("ok_long_names"):
            return f"longer than {limit} characters"
        if _CONTROL.search(name.replace("\x00", "") if self.has("strips_nul") else name):
            return "control characters"
        if _SURROGATE.search(name) and not self.has("accepts_unencodable_names"):
            return "lone surrogates"
        if stored is not None and self.has("rejects_same_name") and stored["name"] == name:
            return "the session already has this name"
        if stored is not None and self.has("unique_names"):
            taken = any(
                s["name"] == name and s["user_id"] == stored["user_id"] and s is not stored
                for s in self.sessions.values()
            )
            if taken:
                return "another session already has this name"
        if stored is not None and self.has("unique_names_per_type"):
            taken = any(
                s["name"] == name and s["type"] == stored["type"] and s is not stored
                for s in self.sessions.values()
            )
            if taken:
                return "another session of this type already has this name"
        return None

    # AgentOS's GET /sessions/{session_id} -------------------------------------------------
    async def read(self, request: Request) -> Response:
        if not self.authorized(request):
            return self.unauthorized(request)
        asked = self.asked_type(request)
        if isinstance(asked, Response):
            return asked
        stored = self.lookup(
            request.path_params["session_id"], asked, request.query_params.get("user_id")
        )
        if stored is None:
            return self.error(404, "Session not found", "NOT_FOUND")
        return self.json_answer(self.detail(stored, asked or "agent"))


def create_app(token: str) -> Starlette:
    variants: dict[str, Variant] = {}

    def variant(request: Request) -> Variant | None:
        defect = request.path_params["defect"]
        if defect not in DEFECTS and defect not in LEGITIMATE_VARIANTS:
            return None
        return variants.setdefault(defect, Variant(defect, token))

    async def guarded(request: Request, action: str) -> Response:
        chosen = variant(request)
        if chosen is None:
            return JSONResponse({"detail": "unknown defect"}, status_code=404)
        try:
            return await (chosen.rename(request) if action == "rename" else chosen.read(request))
        except Exception:
            return JSONResponse(
                {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"},
                status_code=500,
            )

    async def rename(request: Request) -> Response:
        if request.method == "POST":
            return await guarded(request, "rename")
        # Other methods on the path: 405, with Allow unless that is the defect.
        allow = {} if request.path_params["defect"] == "no_allow_header" else {"Allow": "POST"}
        return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers=allow)

    async def read(request: Request) -> Response:
        if request.path_params["defect"] == "ok_no_read":
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return await guarded(request, "read")

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/health", health),
            Route(
                "/{defect}/sessions/{session_id:path}/rename",
                rename,
                methods=["POST", "GET", "PUT", "PATCH", "DELETE"],
            ),
            Route("/{defect}/sessions/{session_id}", read, methods=["GET"]),
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
