"""`POST /sessions/{session_id}/rename`, as a plain function.

Connexion has already checked everything the document states (auth, `type` enum, body shape);
this function applies the rules the document leaves to the server and calls the store. The app
factory binds `databases` and `clock`; Connexion passes the request's parameters by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.detail import session_detail
from domain.errors import SessionNotFound
from domain.names import validate_session_name
from domain.session import JSONObject, RenameRequest, SessionType
from store.catalog import Databases


async def rename_session(
    databases: Databases,
    clock: Callable[[], int],
    session_id: str,
    body: dict[str, Any],
    type_: str = SessionType.AGENT.value,
    user_id: str | None = None,
    db_id: str | None = None,
    table: str | None = None,
) -> JSONObject:
    name = validate_session_name(body["session_name"])
    selection = databases.select(db_id, table)
    request = RenameRequest(
        session_id=session_id,
        session_type=SessionType(type_),
        new_name=name,
        user_id=user_id,
        now=clock(),
    )
    renamed = await selection.store.rename(request, selection.table)
    if renamed is None:
        raise SessionNotFound(session_id)
    return session_detail(renamed)
