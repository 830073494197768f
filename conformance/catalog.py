"""Every check the suite reports, with what it means and whether it is required.

"required" checks follow from the document; "recommended" ones are behaviour the document implies
but does not pin down: they are warnings, and failures only with --strict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["required", "recommended"]


@dataclass(frozen=True, slots=True)
class CheckInfo:
    name: str
    severity: Severity
    description: str


_CHECKS = (
    # Schemathesis built-ins, run on every response.
    CheckInfo("not_a_server_error", "required", "no 5xx answer for any input"),
    CheckInfo("status_code_conformance", "required", "status code documented for the operation"),
    CheckInfo("content_type_conformance", "required", "Content-Type is the documented one"),
    CheckInfo("response_schema_conformance", "required", "body valid against its status's schema"),
    # Schemathesis built-ins, run on generated requests only.
    CheckInfo("negative_data_rejection", "required", "schema-invalid requests are rejected"),
    CheckInfo("positive_data_acceptance", "required", "schema-valid requests are not refused"),
    # Authentication.
    CheckInfo("auth_required", "required", "no, wrong or malformed credentials -> 401"),
    CheckInfo(
        "token_exact",
        "required",
        "the token with a character added, a prefix of it or it in another case -> 401",
    ),
    CheckInfo(
        "bearer_case_insensitive",
        "required",
        "'bearer <token>' is accepted: the scheme name is case-insensitive (RFC 9110 11.1)",
    ),
    CheckInfo(
        "auth_hides_existence",
        "required",
        "without a valid token a known and an unknown session get the same answer",
    ),
    CheckInfo(
        "auth_before_validation",
        "recommended",
        "a request without credentials is refused (401) before its body is judged",
    ),
    # What a rename answers and changes.
    CheckInfo("known_session_renamed", "required", "the owner renaming a listed session gets 200"),
    CheckInfo("session_id_echoed", "required", "the 200 body's session_id is the path id"),
    CheckInfo("session_name_echoed", "required", "the 200 body's session_name is the name sent"),
    CheckInfo(
        "user_id_kept",
        "required",
        "a rename never changes the owner: the 200 body's user_id (and a read back) is the listed "
        "owner",
    ),
    CheckInfo("body_matches_type", "required", "the 200 body has the schema of the requested type"),
    CheckInfo(
        "body_complete",
        "recommended",
        "the 200 body has every field of its type's schema, null when empty (as AgentOS; the "
        "document requires only the ids and session_name)",
    ),
    CheckInfo(
        "fields_preserved",
        "required",
        "consecutive renames: every field but session_name and updated_at unchanged",
    ),
    CheckInfo(
        "chat_history_preserved", "required", "a rename leaves chat_history unchanged, in order"
    ),
    CheckInfo("created_at_preserved", "required", "a rename leaves created_at unchanged"),
    CheckInfo("updated_at_monotonic", "required", "updated_at never moves backwards"),
    CheckInfo(
        "updated_at_advances",
        "required",
        "a rename over a second after another shows a strictly later updated_at",
    ),
    CheckInfo(
        "updated_at_current",
        "required",
        "a rename's updated_at is within 2 minutes of its answer's Date header",
    ),
    CheckInfo(
        "refused_requests_write_nothing",
        "required",
        "after refused requests (other type/user/id, bad name/body/token) the session is unchanged",
    ),
    CheckInfo(
        "persisted_on_read",
        "required",
        "GET /sessions/{id} (when offered) shows the name and fields last answered",
    ),
    CheckInfo(
        "concurrent_renames_isolated",
        "required",
        "renames of listed sessions and of unknown ids sent at once are each answered as if "
        "alone (200 with their own id and name; 404)",
    ),
    # Identity and parameters.
    CheckInfo("unknown_session_404", "required", "an id that does not exist -> 404"),
    CheckInfo(
        "session_id_exact",
        "required",
        "a prefix, an extension, another case or a padded form of a listed id, the id as an SQL "
        "LIKE, regular-expression or glob pattern, with an SQL injection after it, or decoded "
        "twice -> 404",
    ),
    CheckInfo(
        "type_scoping",
        "required",
        "a known id asked for with another type, or none (agent) for team/workflow -> 404",
    ),
    CheckInfo(
        "user_scoping",
        "required",
        "a known id asked for by another (also a listed) user_id, the owner's in another case or "
        "padded, '', 'null', '%', the owner's as an SQL LIKE pattern, one with an SQL injection "
        "after it, or any user_id for a session without an owner -> 404",
    ),
    CheckInfo(
        "invalid_type_422",
        "required",
        "a type outside agent/team/workflow (other cases and '' too) -> 422",
    ),
    CheckInfo("unknown_db_id_404", "required", "a db_id the server does not have -> 404"),
    CheckInfo("table_requires_db_id", "recommended", "a table without db_id -> 400"),
    # Bodies and media types.
    CheckInfo(
        "invalid_body_422",
        "required",
        "missing or non-JSON body, session_name not a string (true, false, null, number, list, "
        "object) -> 422",
    ),
    CheckInfo(
        "json_media_types_accepted",
        "required",
        "JSON with '; charset=utf-8', in another case, or with no Content-Type is read as JSON",
    ),
    CheckInfo(
        "non_json_media_refused",
        "required",
        "form-encoded, multipart and text/plain bodies -> 422, even when they carry a name",
    ),
    CheckInfo(
        "method_not_allowed", "required", "GET, PUT, PATCH, DELETE on the path -> 405 with Allow"
    ),
    # Names.
    CheckInfo(
        "name_round_trip",
        "required",
        "a name answered 200 is stored and returned exactly (not trimmed, normalised, folded or "
        "cut) and the session stays usable; else it must be refused with 400",
    ),
    CheckInfo("same_name_accepted", "required", "renaming to the current name -> 200"),
    CheckInfo("shared_name_accepted", "required", "two sessions may carry the same name"),
    CheckInfo("blank_name_rejected", "recommended", "an empty or whitespace-only name -> 400"),
    CheckInfo(
        "unicode_blank_rejected",
        "recommended",
        "a name of Unicode spaces only (no-break, ideographic) -> 400",
    ),
    CheckInfo("error_code_present", "recommended", "error bodies carry a string error_code"),
    # Coverage.
    CheckInfo("status_coverage", "required", "200, 401, 404 and 422 were all observed"),
    CheckInfo("status_400_observed", "recommended", "400 (invalid session name) was observed"),
)

CHECKS: dict[str, CheckInfo] = {check.name: check for check in _CHECKS}
