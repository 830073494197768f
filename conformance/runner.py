"""One conformance run against one target: phases in a fixed order, then status coverage."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import requests
from schemathesis import GenerationMode

from conformance import concurrency, credentials, defaults, media, naming, readback, scenarios
from conformance.catalog import CHECKS
from conformance.generated import run_generated
from conformance.probe import BudgetExhausted, Probe, TargetStopped
from conformance.progress import Progress, SilentProgress
from conformance.results import Finding, RunResult
from conformance.sessions import KnownSession, UsageError, in_depth, representatives
from conformance.spec import BUNDLED_SPEC, RENAME_PATH, load_contract

DEFAULT_MAX_EXAMPLES = defaults.DEFAULT_MAX_EXAMPLES
REACHABILITY_REQUESTS = 1
FIXED_SCENARIO_REQUESTS = (
    REACHABILITY_REQUESTS
    + credentials.MAX_REQUESTS
    + scenarios.NOT_FOUND_REQUESTS
    + scenarios.VALIDATION_REQUESTS
    + media.MAX_REQUESTS
    + naming.MAX_REQUESTS
    + scenarios.UNUSUAL_PARAMETER_REQUESTS
    + concurrency.MAX_REQUESTS
)
"""Hand-written requests that do not depend on the sessions listed (reads included)."""
REACHABILITY_TIMEOUT_SECONDS = 10.0


class TargetUnreachable(Exception):
    """No HTTP answer from --base-url: exit code 2, not a conformance failure."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    base_url: str
    token: str
    sessions: tuple[KnownSession, ...]
    spec: Path = BUNDLED_SPEC
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    strict: bool = False
    restore_names: bool = False


def request_bound(options: RunOptions) -> int:
    """At most this many requests go to the target: positive and negative generated cases, the
    fixed scenarios, the rename invariants of each session checked in depth (one per type listed,
    plus one without an owner and one with one when those are listed but not yet among them), a
    read of every listed session at the start and at the end, and (with --restore-names) one read
    and one rename per listed session."""
    deep = len(in_depth(options.sessions))
    reads = readback.READS_PER_LISTED_SESSION * len(options.sessions)
    restore = 2 * len(options.sessions) if options.restore_names else 0
    return (
        2 * options.max_examples
        + FIXED_SCENARIO_REQUESTS
        + scenarios.INVARIANT_REQUESTS_PER_SESSION * deep
        + reads
        + restore
    )


def _validate(options: RunOptions) -> None:
    parts = urlsplit(options.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--base-url must be an http(s) URL, got {options.base_url!r}")
    if options.max_examples < 0:
        raise UsageError("--max-examples must be 0 or more")
    if not options.token:
        raise UsageError("--token must not be empty")


def _check_reachable(probe: Probe, session: KnownSession) -> None:
    url = probe.base_url + RENAME_PATH.replace("{session_id}", session.session_id)
    probe.result.requests_sent += 1
    probe.progress.request_sent(probe.result.requests_sent)
    try:
        requests.post(url, timeout=REACHABILITY_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise TargetUnreachable(f"cannot reach {probe.base_url}: {error}") from None


def _remember_names(probe: Probe, sessions: tuple[KnownSession, ...]) -> dict[str, str]:
    """Original names: from the sessions file, else from AgentOS's `GET /sessions/{id}`."""
    names: dict[str, str] = {}
    for session in sessions:
        if session.session_name is not None:
            names[session.session_id] = session.session_name
            continue
        probe.result.requests_sent += 1
        try:
            answer = requests.get(
                f"{probe.base_url}/sessions/{session.session_id}",
                params=session.scoped_query(),
                headers=probe.authorized(),
                timeout=REACHABILITY_TIMEOUT_SECONDS,
            )
            body = answer.json() if answer.status_code == 200 else None
        except (requests.RequestException, ValueError):
            body = None
        if isinstance(body, dict) and isinstance(body.get("session_name"), str):
            names[session.session_id] = body["session_name"]
        else:
            probe.result.notes.append(
                f"cannot restore the name of {session.session_id}: the target has no "
                f"GET /sessions/{{id}} and the sessions file gives no session_name"
            )
    return names


def _restore_names(probe: Probe, sessions: tuple[KnownSession, ...], names: dict[str, str]) -> None:
    for session in sessions:
        name = names.get(session.session_id)
        if name is None:
            continue
        case = probe.case(
            session.session_id, query=session.scoped_query(), body={"session_name": name}
        )
        answer = probe.send(case, "restore the original name", checks=())
        if answer.status != 200:
            probe.result.notes.append(
                f"restoring {session.session_id} to {name!r} answered {answer.status}"
            )


def _status_coverage(result: RunResult) -> None:
    seen = ", ".join(str(s) for s in sorted(result.statuses)) or "none"
    for status, observed in result.status_coverage().items():
        check = "status_400_observed" if status == 400 else "status_coverage"
        if observed:
            result.passed(check)
            continue
        result.failed(
            Finding(
                check,
                CHECKS[check].severity,
                f"at least one {status} answer during the run",
                f"no {status} observed (statuses seen: {seen})",
                "",
                "the whole run",
            )
        )


def run_suite(options: RunOptions, progress: Progress | None = None) -> RunResult:
    """Run every check against `options.base_url`; raises UsageError or TargetUnreachable."""
    _validate(options)
    progress = progress or SilentProgress()
    contract = load_contract(options.spec)
    seed = options.seed if options.seed is not None else random.randrange(2**32)
    result = RunResult(
        base_url=options.base_url,
        spec_path=str(options.spec),
        seed=seed,
        max_examples=options.max_examples,
        strict=options.strict,
        request_bound=request_bound(options),
    )
    sessions = options.sessions
    probe = Probe(contract, options.base_url, options.token, result, progress, sessions)
    first = representatives(sessions)[0]
    phases: list[tuple[str, Callable[[], None]]] = [
        # Before any rename: what every listed session is called, to see a rename write others.
        ("read the listed sessions", partial(readback.baseline_all, probe, sessions)),
        # First: every later refusal is judged against what these renames answered.
        *(
            (
                f"rename invariants ({s.type}, {'no owner' if s.user_id is None else 'owned'})",
                partial(scenarios.rename_invariants, probe, s, sessions, wait=s is first),
            )
            for s in in_depth(sessions)
        ),
        ("authentication", lambda: credentials.authentication(probe, first)),
        ("unknown session", lambda: scenarios.not_found(probe, first)),
        ("validation errors", lambda: scenarios.validation(probe, first)),
        ("content negotiation", lambda: media.content_negotiation(probe, first)),
        ("same and shared names", lambda: naming.same_and_shared_names(probe, first, sessions)),
        ("renames at once", lambda: concurrency.concurrent_renames(probe, sessions)),
        (
            "generated positive requests",
            lambda: run_generated(
                probe, sessions, GenerationMode.POSITIVE, options.max_examples, seed
            ),
        ),
        (
            "generated negative requests",
            lambda: run_generated(
                probe, sessions, GenerationMode.NEGATIVE, options.max_examples, seed
            ),
        ),
        ("unusual parameters", lambda: scenarios.unusual_parameters(probe, first)),
        # Last: a server that accepts a name it cannot store may break the session for good.
        ("unusual names", lambda: naming.unusual_names(probe, first)),
        ("read the listed sessions back", partial(readback.checkpoint_all, probe, sessions)),
    ]
    try:
        progress.phase("reachability")
        _check_reachable(probe, first)
        names = _remember_names(probe, sessions) if options.restore_names else {}
        try:
            for name, phase in phases:
                progress.phase(name)
                phase()
        except TargetStopped as error:
            result.notes.append(f"the target stopped answering; run cut short ({error})")
        except BudgetExhausted:
            result.notes.append(f"request bound {result.request_bound} reached; run cut short")
        if names:
            progress.phase("restoring names")
            try:
                _restore_names(probe, sessions, names)
            except (TargetStopped, BudgetExhausted) as error:
                result.notes.append(f"names not restored: {error}")
        _status_coverage(result)
    finally:
        progress.finish()
        probe.close()
    return result
