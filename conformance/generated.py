"""Generated requests: Schemathesis strategies driven by Hypothesis, aimed at the known sessions.

Positive cases carry a known session's id, type, owner and the token, so most reach the 200 path;
negative cases keep the id and token but let Schemathesis break the query and body. Failures are
recorded, never raised, so Hypothesis does not spend requests shrinking them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from conformance.probe import GENERATED_CASE_CHECKS, BudgetExhausted, Probe, TargetStopped
from conformance.sessions import KnownSession


def _cases(probe: Probe, sessions: tuple[KnownSession, ...], mode: GenerationMode) -> Any:
    operation = probe.contract.operation
    auth = probe.authorized()

    def scoped(session: KnownSession) -> Any:
        # The session's own type and owner: the request reaches the rename itself, so only the
        # generated body decides the answer.
        path = {"session_id": session.session_id}
        return operation.as_strategy(
            mode, path_parameters=path, query=session.scoped_query(), headers=auth
        )

    def unscoped(session: KnownSession) -> Any:
        # A known id with generated query parameters (negative mode breaks them).
        return operation.as_strategy(
            mode, path_parameters={"session_id": session.session_id}, headers=auth
        )

    known = st.sampled_from(sessions)
    aimed = known.flatmap(scoped)
    # Some cases keep Schemathesis's own ids and queries: unknown ids and odd parameters.
    free = operation.as_strategy(mode, headers=auth)
    if mode is GenerationMode.POSITIVE:
        return st.one_of(aimed, aimed, aimed, free)
    return st.one_of(aimed, aimed, known.flatmap(unscoped), free)


def run_generated(
    probe: Probe,
    sessions: tuple[KnownSession, ...],
    mode: GenerationMode,
    max_examples: int,
    seed: int,
) -> None:
    if max_examples <= 0:
        return
    exhausted = False
    stopped: TargetStopped | None = None

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=_cases(probe, sessions, mode))
    def send_generated(case: Case[Any]) -> None:
        nonlocal exhausted, stopped
        if exhausted or stopped is not None:
            return
        try:
            probe.send(case, f"generated {mode.value} request", GENERATED_CASE_CHECKS)
        except BudgetExhausted:
            exhausted = True
        except TargetStopped as error:
            # Raised outside Hypothesis, which would otherwise retry the case while shrinking.
            stopped = error

    send_generated()
    if stopped is not None:
        raise stopped
