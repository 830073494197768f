"""What a run found: per-check tallies, findings (failures and warnings), status coverage."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from conformance import EXIT_CONFORMANT, EXIT_FAILURES
from conformance.catalog import CHECKS, Severity

COVERED_STATUSES = (200, 400, 401, 404, 422)
EXAMPLES_KEPT_PER_CHECK = 5
"""Findings kept in full per check; the rest are only counted (reports stay readable)."""


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    severity: Severity
    expected: str
    got: str
    curl: str
    request: str
    """Which request it was, in words (e.g. "rename agent session as team")."""


@dataclass(slots=True)
class Tally:
    passed: int = 0
    failed: int = 0


@dataclass(slots=True)
class RunResult:
    base_url: str
    spec_path: str
    seed: int
    max_examples: int
    strict: bool
    request_bound: int
    tallies: dict[str, Tally] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    requests_sent: int = 0
    notes: list[str] = field(default_factory=list)
    """Things the reader should know that are not check results (e.g. names not restored)."""

    def passed(self, check: str) -> None:
        self.tallies.setdefault(check, Tally()).passed += 1

    def failed(self, finding: Finding) -> None:
        self.tallies.setdefault(finding.check, Tally()).failed += 1
        kept = sum(1 for f in self.findings if f.check == finding.check)
        if kept < EXAMPLES_KEPT_PER_CHECK and finding not in self.findings:
            self.findings.append(finding)

    def counts_as_failure(self, check: str) -> bool:
        return self.strict or CHECKS[check].severity == "required"

    @property
    def failed_checks(self) -> list[str]:
        return [n for n, t in self.tallies.items() if t.failed and self.counts_as_failure(n)]

    @property
    def warned_checks(self) -> list[str]:
        return [n for n, t in self.tallies.items() if t.failed and not self.counts_as_failure(n)]

    @property
    def conformant(self) -> bool:
        return not self.failed_checks

    @property
    def exit_code(self) -> int:
        return EXIT_CONFORMANT if self.conformant else EXIT_FAILURES

    def status_coverage(self) -> dict[int, bool]:
        return {status: self.statuses[status] > 0 for status in COVERED_STATUSES}
