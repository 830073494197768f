"""Names come back exactly: a name answered 200 is stored and echoed code point for code point
(no trimming, no Unicode normalisation, no case folding, no length cut) and leaves the session
usable; a name the server will not keep must be refused as a whole with 400. Renaming to the
current name is a rename like any other, and two sessions may carry the same name."""

from __future__ import annotations

from typing import NamedTuple

from conformance import checks
from conformance.probe import Probe
from conformance.readback import checkpoint
from conformance.scenarios import check_error_code, expect_success, fresh_name, rename
from conformance.sessions import KnownSession


class NameCase(NamedTuple):
    how: str
    name: str
    follow_up: bool = False
    """Rename again afterwards: names that could leave a careless store unusable."""
    recommended: str | None = None
    """A recommended check that wants 400 for this name."""


NAMES: tuple[NameCase, ...] = (
    NameCase("an empty name", "", recommended="blank_name_rejected"),
    NameCase("a whitespace name", "   ", recommended="blank_name_rejected"),
    NameCase("a no-break space name", "\u00a0", recommended="unicode_blank_rejected"),
    NameCase("an ideographic space name", "\u2003\u3000", recommended="unicode_blank_rejected"),
    NameCase("leading and trailing spaces (trimming would change it)", "  padded name  "),
    NameCase("no-break spaces around it", "\u00a0nbsp\u00a0"),
    NameCase("a decomposed accent (NFC would compose it)", "Cafe\u0301"),
    NameCase("the Angstrom sign (NFC would change it)", "\u212b ring"),
    NameCase("a ligature (NFKC would change it)", "\ufb01le"),
    NameCase("full-width letters (NFKC would change them)", "\uff21\uff22\uff23\uff11\uff12\uff13"),
    NameCase("mixed case and sharp s (case folding would change it)", "MiXeD CaSe Straße"),
    NameCase("a dotted capital I (lower() would lengthen it)", "İstanbul"),
    NameCase("a zero-width joiner", "a\u200db"),
    NameCase("non-ASCII letters and emoji", "Résumé 名前 🎉👍🏽", follow_up=True),
    NameCase("right-to-left override", "\u202eevil.txt", follow_up=True),
    NameCase("markup", "<script>alert(1)</script>", follow_up=True),
    NameCase("SQL fragment", "' OR 1=1; --", follow_up=True),
    # Characters an escaping layer (SQL, HTML, JSON, URL, LIKE patterns) would add to, take away
    # or decode a second time: stored and echoed as sent, like any other.
    NameCase(
        "backslashes and quotes (escaping them would change them)",
        "back\\slash \\\\ \"double\" 'single' `tick`",
        follow_up=True,
    ),
    NameCase(
        "HTML markup and entities (escaping, unescaping or stripping would change them)",
        "<b>bold</b> &amp; &lt;i&gt; &#39;x&#39; &nbsp;",
        follow_up=True,
    ),
    NameCase("SQL LIKE wildcards (escaping them would change them)", "100% _done_ [a-z] %_\\%"),
    NameCase(
        "JSON escapes as text (decoding them again would change them)",
        '\\u00e9 \\n \\t \\" \\/ \\\\',
        follow_up=True,
    ),
    NameCase("percent-encoding as text (URL decoding would change it)", "a%20b%2Fc+d%zz"),
    NameCase("the text null (reading it as JSON would change it)", "null"),
    NameCase("255 characters", "n" * 255, follow_up=True),
    NameCase("255 two-byte characters", "é" * 255),
    NameCase("256 characters (a cut at 255 would change it)", "o" * 256),
    NameCase("10,000 characters", "L" * 10_000, follow_up=True),
    NameCase("a tab and a newline", "tab\there\nnewline", follow_up=True),
    NameCase("a NUL character", "nul\u0000byte", follow_up=True),
    NameCase("an escape character", "esc\u001b[31mred", follow_up=True),
    NameCase("a lone surrogate (not encodable as UTF-8)", "bad \ud800 surrogate", follow_up=True),
)


MAX_REQUESTS = 4 + 2 * len(NAMES) + sum(case.follow_up for case in NAMES)
"""Same and shared names (two partners); each unusual name with a read, and a follow-up rename
where asked."""


def _partners(session: KnownSession, sessions: tuple[KnownSession, ...]) -> list[KnownSession]:
    """Other listed sessions likeliest to collide with a uniqueness rule on names: the closest of
    the same owner, and the closest of the same type (one session when it is both)."""
    others = [s for s in sessions if s.session_id != session.session_id]
    if not others:
        return []
    same_owner = min(others, key=lambda s: (s.user_id != session.user_id, s.type != session.type))
    same_type = min(others, key=lambda s: (s.type != session.type, s.user_id != session.user_id))
    return [same_owner] if same_owner == same_type else [same_owner, same_type]


def same_and_shared_names(
    probe: Probe, session: KnownSession, sessions: tuple[KnownSession, ...]
) -> None:
    name = fresh_name("kept")
    first = rename(probe, session, name, "rename a session")
    expect_success(probe, first, session, name)
    again = rename(probe, session, name, "rename a session to the name it has now")
    expect_success(probe, again, session, name, check="same_name_accepted")
    partners = _partners(session, sessions)
    if not partners:
        probe.result.notes.append(
            "only one session listed: two sessions sharing a name was not checked"
        )
    for partner in partners:
        relation = "the same owner" if partner.user_id == session.user_id else "another owner"
        shared = rename(
            probe,
            partner,
            name,
            f"rename a {partner.type} session of {relation} to a {session.type} session's name",
        )
        expect_success(probe, shared, partner, name, check="shared_name_accepted")


def unusual_names(probe: Probe, session: KnownSession) -> None:
    """A name answered 200 must come back exactly and leave the session usable; 400 is fine."""
    for case in NAMES:
        answer = rename(probe, session, case.name, f"rename to {case.how}")
        if case.recommended is not None:
            probe.verify(
                case.recommended,
                answer,
                checks.status_in,
                answer.status,
                {400},
                "a name a person cannot see",
            )
        if answer.status != 200:
            probe.verify(
                "name_round_trip",
                answer,
                checks.status_in,
                answer.status,
                {200, 400},
                f"{case.how}: stored and echoed exactly, or refused as an invalid name",
            )
            if answer.status == 400:
                check_error_code(probe, answer)
                checkpoint(probe, session, f"after refusing {case.how}")
            continue
        body = expect_success(probe, answer, session, case.name)
        if body is None:
            continue
        probe.verify("name_round_trip", answer, checks.session_name_echoed, body, case.name)
        checkpoint(probe, session, f"after accepting {case.how}")
        if not case.follow_up:
            continue
        follow_name = fresh_name("after unusual name")
        follow = rename(probe, session, follow_name, f"rename again after {case.how}")
        if not probe.verify(
            "name_round_trip",
            follow,
            checks.status_in,
            follow.status,
            {200},
            f"the session still renamable after accepting {case.how}",
        ):
            return  # the session is broken; more names would only repeat the same finding
        expect_success(probe, follow, session, follow_name)
