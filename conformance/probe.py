"""Sending requests to the target: every request is a Schemathesis `Case`, every answer goes
through Schemathesis's response checks, and every request counts against the bound."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from schemathesis import Case, CheckFunction, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.catalog import CHECKS
from conformance.checks import Violation
from conformance.progress import Progress
from conformance.results import Finding, RunResult
from conformance.segments import encode_segment
from conformance.sessions import KnownSession
from conformance.spec import Contract
from conformance.tracking import Tracker

REQUEST_TIMEOUT_SECONDS = 15.0
CONSECUTIVE_FAILURES_BEFORE_STOP = 3
BODY_SHOWN_CHARACTERS = 300
MESSAGE_SHOWN_CHARACTERS = 240

RESPONSE_CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
GENERATED_CASE_CHECKS: tuple[CheckFunction, ...] = (
    *RESPONSE_CHECKS,
    negative_data_rejection,
    positive_data_acceptance,
)
NO_BODY: Any = NOT_SET


class BudgetExhausted(Exception):
    """The request bound is reached; the run stops sending."""


class TargetStopped(Exception):
    """The target stopped answering in the middle of the run."""


@dataclass(frozen=True, slots=True)
class Answer:
    case: Case[Any]
    response: Response
    request: str
    without_content_type: bool = False

    @property
    def status(self) -> int:
        return int(self.response.status_code)

    def json(self) -> object:
        try:
            return json.loads(self.response.content or b"")
        except (ValueError, UnicodeDecodeError):
            return None

    def media_type(self) -> str:
        return ", ".join(self.response.headers.get("content-type", []))


def describe(response: Response) -> str:
    content_type = ", ".join(response.headers.get("content-type", [])) or "no Content-Type"
    text = (response.content or b"").decode("utf-8", errors="replace")
    if len(text) > BODY_SHOWN_CHARACTERS:
        text = f"{text[:BODY_SHOWN_CHARACTERS]}... ({len(text)} characters)"
    return f"{response.status_code} ({content_type}) {text}"


def _expected_from(check: str, failure: BaseException) -> str:
    title = str(getattr(failure, "title", "") or check)
    message = " ".join(str(getattr(failure, "message", "")).split())
    if len(message) > MESSAGE_SHOWN_CHARACTERS:
        message = f"{message[:MESSAGE_SHOWN_CHARACTERS]}..."
    return f"{CHECKS[check].description} ({title}{': ' + message if message else ''})"


class Probe:
    def __init__(
        self,
        contract: Contract,
        base_url: str,
        token: str,
        result: RunResult,
        progress: Progress,
        sessions: tuple[KnownSession, ...] = (),
    ) -> None:
        self.contract = contract
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.result = result
        self.progress = progress
        self._session = requests.Session()
        self._consecutive_failures = 0
        self.tracker = Tracker(sessions, token, self.verify)
        self.read_offered: bool | None = None
        """Whether the target offers AgentOS's GET /sessions/{id} (None: not tried yet)."""

    def authorized(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def case(
        self,
        session_id: str,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = NO_BODY,
        media_type: str | None = None,
        authorized: bool = True,
    ) -> Case[Any]:
        all_headers = {**(self.authorized() if authorized else {}), **(headers or {})}
        if body is not NO_BODY and media_type is None:
            media_type = "application/json"
        return self.contract.operation.Case(
            path_parameters={"session_id": encode_segment(session_id)},
            query=query or {},
            headers=all_headers,
            body=body,
            media_type=media_type,
        )

    def curl(self, case: Case[Any], *, without_content_type: bool = False) -> str:
        command = case.as_curl_command(base_url=self.base_url)
        if without_content_type:
            command = command.replace(" -H 'Content-Type: application/json'", "")
        return self.masked(command)

    def masked(self, command: str) -> str:
        # Reports end up in CI logs: the token is read from the environment instead.
        return command.replace(self.token, "'\"$TOKEN\"'") if self.token else command

    def count_request(self) -> None:
        if self.result.requests_sent >= self.result.request_bound:
            raise BudgetExhausted
        self.result.requests_sent += 1
        self.progress.request_sent(self.result.requests_sent)

    def send(
        self,
        case: Case[Any],
        request: str,
        checks: Sequence[CheckFunction] = RESPONSE_CHECKS,
        *,
        without_content_type: bool = False,
    ) -> Answer:
        """Send one request; `without_content_type` sends the body with no Content-Type."""
        self.count_request()
        sent_at = time.monotonic()
        try:
            if without_content_type:
                kwargs = case.as_transport_kwargs(base_url=self.base_url)
                kwargs["headers"] = {
                    k: v for k, v in kwargs["headers"].items() if k.lower() != "content-type"
                }
                raw = self._session.request(**kwargs, timeout=REQUEST_TIMEOUT_SECONDS)
                response = Response.from_requests(raw, verify=True)
            else:
                response = case.call(
                    base_url=self.base_url, session=self._session, timeout=REQUEST_TIMEOUT_SECONDS
                )
        except requests.RequestException as error:
            self._no_answer(case, request, error)
            raise TargetStopped(str(error)) from None
        self._consecutive_failures = 0
        answer = Answer(case, response, request, without_content_type)
        self._judge(answer, checks, sent_at, time.monotonic())
        return answer

    def send_together(
        self, requests_at_once: Sequence[tuple[Case[Any], str]]
    ) -> list[Answer | None]:
        """Send the cases at once, each from its own thread on its own connection, released
        together; then judge each answer as `send` does. A case that got no answer fails
        not_a_server_error and is None in the list."""
        for _ in requests_at_once:
            self.count_request()
        start = threading.Barrier(len(requests_at_once))

        def one(case: Case[Any]) -> tuple[Response | Exception, float, float]:
            with requests.Session() as session:
                # A broken barrier (another thread failed to start): send anyway.
                with contextlib.suppress(threading.BrokenBarrierError):
                    start.wait(timeout=REQUEST_TIMEOUT_SECONDS)
                sent_at = time.monotonic()
                try:
                    raw = case.call(
                        base_url=self.base_url, session=session, timeout=REQUEST_TIMEOUT_SECONDS
                    )
                except requests.RequestException as error:
                    return error, sent_at, time.monotonic()
                return raw, sent_at, time.monotonic()

        with ThreadPoolExecutor(max_workers=len(requests_at_once)) as pool:
            outcomes = list(pool.map(one, [case for case, _ in requests_at_once]))
        answers: list[Answer | None] = []
        for (case, request), (outcome, sent_at, received_at) in zip(
            requests_at_once, outcomes, strict=True
        ):
            if isinstance(outcome, Exception):
                self.fail(
                    "not_a_server_error", case, request, "an HTTP answer", f"no answer: {outcome}"
                )
                answers.append(None)
                continue
            answer = Answer(case, outcome, request)
            self._judge(answer, RESPONSE_CHECKS, sent_at, received_at)
            answers.append(answer)
        return answers

    def _judge(
        self, answer: Answer, checks: Sequence[CheckFunction], sent_at: float, received_at: float
    ) -> None:
        self.result.statuses[answer.status] += 1
        for check in checks:
            self._run_builtin(check, answer)
        self.tracker.observe(answer, sent_at, received_at)

    def raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request outside the operation (other methods, AgentOS's GET /sessions/{id})."""
        self.count_request()
        try:
            return self._session.request(
                method, self.base_url + path, timeout=REQUEST_TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as error:
            raise TargetStopped(str(error)) from None

    def _no_answer(self, case: Case[Any], request: str, error: Exception) -> None:
        self._consecutive_failures += 1
        self.fail("not_a_server_error", case, request, "an HTTP answer", f"no answer: {error}")

    def _run_builtin(self, check: CheckFunction, answer: Answer) -> None:
        name = check.__name__
        try:
            answer.case.validate_response(answer.response, checks=[check])
        except FailureGroup as group:
            for failure in group.exceptions:
                expected = _expected_from(name, failure)
                self.fail(name, answer.case, answer.request, expected, describe(answer.response))
            return
        self.result.passed(name)

    def fail(
        self,
        check: str,
        case: Case[Any],
        request: str,
        expected: str,
        got: str,
        curl: str | None = None,
    ) -> None:
        command = self.curl(case) if curl is None else curl
        self.result.failed(Finding(check, CHECKS[check].severity, expected, got, command, request))

    def verify(
        self, check: str, answer: Answer, invariant: Callable[..., None], *args: Any
    ) -> bool:
        """Run one plain check function and record its verdict under `check`."""
        try:
            invariant(*args)
        except Violation as violation:
            got = violation.got if violation.got is not None else describe(answer.response)
            curl = self.curl(answer.case, without_content_type=answer.without_content_type)
            self.fail(check, answer.case, answer.request, violation.expected, got, curl)
            return False
        self.result.passed(check)
        return True

    def verify_raw(
        self,
        check: str,
        request: str,
        curl: str,
        got: str,
        invariant: Callable[..., None],
        *args: Any,
    ) -> bool:
        """`verify` for a request that is not a Case of the operation (`raw`)."""
        try:
            invariant(*args)
        except Violation as violation:
            finding = Finding(
                check,
                CHECKS[check].severity,
                violation.expected,
                violation.got if violation.got is not None else got,
                self.masked(curl),
                request,
            )
            self.result.failed(finding)
            return False
        self.result.passed(check)
        return True

    def close(self) -> None:
        self._session.close()
