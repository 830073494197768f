"""`POST /sessions/{session_id}/rename`, as a plain function.

Connexion has already checked everything the document states (auth, `type` enum, body shape);
this function applies the rules the document leaves to the server and calls the store. The app
factory binds `databases` and `clock`; Connexion passes the request's parameters by name, and
`token_info`: what the authenticator learnt about the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.detail import session_detail
from domain.errors import SessionNotFound
from domain.names import validate_session_name
from domain.session import JSONObject, RenameRequest, SessionType
from store.catalog import Databases

CALLER_BOUND_USER = "bound_user"
"""token_info key: the user the caller's credentials belong to (None: not bound to a user)."""
CALLER_ACTS_FOR_ANY_USER = "acts_for_any_user"
"""token_info key: True when the caller may name any user in `user_id` (an administrator)."""


def scoped_user(requested: str | None, caller: Mapping[str, Any] | None) -> str | None:
    """Whose sessions this call may rename. A caller bound to a user gets its own user whatever
    `user_id` says, so another user's session is simply not found; unbound callers (the shared
    key) and administrators scope by `user_id` as given."""
    if caller is None or caller.get(CALLER_ACTS_FOR_ANY_USER):
        return requested
    bound = caller.get(CALLER_BOUND_USER)
    return requested if bound is None else str(bound)


async def rename_session(
    databases: Databases,
    clock: Callable[[], int],
    session_id: str,
    body: dict[str, Any],
    type_: str = SessionType.AGENT.value,
    user_id: str | None = None,
    db_id: str | None = None,
    table: str | None = None,
    token_info: Mapping[str, Any] | None = None,
) -> JSONObject:
    name = validate_session_name(body["session_name"])
    selection = databases.select(db_id, table)
    request = RenameRequest(
        session_id=session_id,
        session_type=SessionType(type_),
        new_name=name,
        user_id=scoped_user(user_id, token_info),
        now=clock(),
    )
    renamed = await selection.store.rename(request, selection.table)
    if renamed is None:
        raise SessionNotFound(session_id)
    return session_detail(renamed)
