"""Content negotiation on the path: JSON is JSON whatever the media type's case or parameters
(and a body without Content-Type is read as JSON, as FastAPI-based AgentOS documents it);
form-encoded, multipart and text bodies are refused with 422 even when they carry a name; other
methods answer 405 with an `Allow` header (RFC 9110 section 15.5.6)."""

from __future__ import annotations

import json
import shlex
from urllib.parse import urlencode

from conformance import checks
from conformance.probe import Probe
from conformance.readback import checkpoint
from conformance.scenarios import check_error_code, expect_success, fresh_name, send_to
from conformance.segments import encode_segment
from conformance.sessions import KnownSession
from conformance.spec import RENAME_PATH

BOUNDARY = "conformance-boundary-7d1f"
OTHER_METHODS = ("GET", "PUT", "PATCH", "DELETE")
MAX_REQUESTS = 3 + 3 + len(OTHER_METHODS) + 1
"""JSON variants, other media types, other methods, a read."""


def _json(name: str) -> bytes:
    return json.dumps({"session_name": name}).encode()


def json_media_types(probe: Probe, session: KnownSession) -> None:
    variants: tuple[tuple[str, str | None], ...] = (
        ("Content-Type application/json; charset=utf-8", "application/json; charset=utf-8"),
        ("Content-Type Application/JSON (media types are case-insensitive)", "Application/JSON"),
        ("a JSON body and no Content-Type", None),
    )
    for how, media_type in variants:
        name = fresh_name("media type")
        answer = send_to(
            probe,
            session,
            f"rename with {how}",
            body=_json(name),
            media_type=media_type or "application/json",
            without_content_type=media_type is None,
        )
        expect_success(probe, answer, session, name, check="json_media_types_accepted")


def other_media_types(probe: Probe, session: KnownSession) -> None:
    name = fresh_name("not json")
    multipart = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="session_name"\r\n\r\n'
        f"{name}\r\n--{BOUNDARY}--\r\n"
    )
    variants: tuple[tuple[str, bytes, str, dict[str, str]], ...] = (
        (
            "a form-encoded body",
            urlencode({"session_name": name}).encode(),
            "application/x-www-form-urlencoded",
            {},
        ),
        (
            "a multipart/form-data body",
            multipart.encode(),
            "multipart/form-data",
            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        ),
        ("a JSON text sent as text/plain", _json(name), "text/plain", {}),
    )
    for how, body, media_type, headers in variants:
        answer = send_to(
            probe, session, f"rename with {how}", headers=headers, body=body, media_type=media_type
        )
        probe.verify(
            "non_json_media_refused",
            answer,
            checks.status_in,
            answer.status,
            {422},
            "the operation takes application/json only",
        )
        check_error_code(probe, answer)


def other_methods(probe: Probe, session: KnownSession) -> None:
    path = RENAME_PATH.replace("{session_id}", encode_segment(session.session_id))
    query = session.scoped_query()
    url = f"{probe.base_url}{path}?{urlencode(query)}"
    for method in OTHER_METHODS:
        body = _json(fresh_name(f"via {method}")) if method in ("PUT", "PATCH") else None
        headers = {**probe.authorized(), **({"Content-Type": "application/json"} if body else {})}
        response = probe.raw(method, path, params=query, headers=headers, data=body)
        probe.tracker.refused(session.session_id, f"{method} on the rename path")
        curl = f"curl -X {method} -H 'Authorization: Bearer {probe.token}'"
        if body:
            curl += f" -H 'Content-Type: application/json' -d {shlex.quote(body.decode())}"
        probe.verify_raw(
            "method_not_allowed",
            f"{method} on the rename path",
            f"{curl} {shlex.quote(url)}",
            f"{response.status_code} Allow: {response.headers.get('allow')!r} "
            f"{response.text[:200]}",
            checks.allows_post,
            response.status_code,
            response.headers.get("allow"),
        )


def content_negotiation(probe: Probe, session: KnownSession) -> None:
    json_media_types(probe, session)
    other_media_types(probe, session)
    other_methods(probe, session)
    checkpoint(probe, session, "after other media types and methods")
