"""The three renderings of a run: the readable summary, JSON, and JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conformance.catalog import CHECKS
from conformance.results import RunResult


def _encodable(text: str) -> str:
    """Lone surrogates (sent names echoed back) cannot be written as UTF-8: show them escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _verdict(result: RunResult, name: str) -> str:
    tally = result.tallies[name]
    if not tally.failed:
        return "PASS"
    return "FAIL" if result.counts_as_failure(name) else "WARN"


def _ordered_checks(result: RunResult) -> list[str]:
    return [name for name in CHECKS if name in result.tallies]


def summary(result: RunResult) -> str:
    lines = [
        f"Conformance of {result.base_url}",
        f"  contract: {result.spec_path}",
        f"  seed {result.seed}, max-examples {result.max_examples}"
        f"{', strict' if result.strict else ''}; "
        f"{result.requests_sent} requests sent (bound {result.request_bound})",
        "",
        "Checks:",
    ]
    width = max((len(n) for n in result.tallies), default=10)
    for name in _ordered_checks(result):
        tally = result.tallies[name]
        info = CHECKS[name]
        level = "" if info.severity == "required" else " (recommended)"
        lines.append(
            f"  {_verdict(result, name)}  {name:<{width}}  {tally.passed:>4} passed "
            f"{tally.failed:>4} failed  {info.description}{level}"
        )
    coverage = "  ".join(
        f"{status} {'seen' if seen else 'NOT seen'}"
        for status, seen in result.status_coverage().items()
    )
    lines += ["", f"Status codes: {coverage}"]
    for kind, names in (("Failures", result.failed_checks), ("Warnings", result.warned_checks)):
        findings = [f for f in result.findings if f.check in names]
        if not findings:
            continue
        lines += ["", f"{kind}:"]
        for number, finding in enumerate(findings, 1):
            lines += [
                f"  {number}. [{finding.check}] {finding.request}",
                f"     expected: {finding.expected}",
                f"     got:      {finding.got}",
            ]
            if finding.curl:
                lines.append(f"     reproduce: {finding.curl}")
    if any(f.curl for f in result.findings):
        lines += ["", "(curl commands read the token from $TOKEN: export TOKEN=... first)"]
    for note in result.notes:
        lines.append(f"Note: {note}")
    verdict = (
        "CONFORMANT"
        if result.conformant
        else f"NOT CONFORMANT: {len(result.failed_checks)} check(s) failed: "
        + ", ".join(result.failed_checks)
    )
    if result.warned_checks:
        verdict += f" ({len(result.warned_checks)} warning(s): {', '.join(result.warned_checks)})"
    lines += ["", f"Result: {verdict}"]
    return _encodable("\n".join(lines) + "\n")


def as_json(result: RunResult) -> dict[str, Any]:
    return {
        "base_url": result.base_url,
        "spec": result.spec_path,
        "seed": result.seed,
        "max_examples": result.max_examples,
        "strict": result.strict,
        "conformant": result.conformant,
        "exit_code": result.exit_code,
        "requests_sent": result.requests_sent,
        "request_bound": result.request_bound,
        "status_coverage": {str(s): seen for s, seen in result.status_coverage().items()},
        "statuses_seen": {str(s): n for s, n in sorted(result.statuses.items())},
        "checks": [
            {
                "name": name,
                "severity": CHECKS[name].severity,
                "description": CHECKS[name].description,
                "verdict": _verdict(result, name).lower(),
                "passed": result.tallies[name].passed,
                "failed": result.tallies[name].failed,
            }
            for name in _ordered_checks(result)
        ],
        "failed_checks": result.failed_checks,
        "warned_checks": result.warned_checks,
        "findings": [
            {
                "check": f.check,
                "severity": f.severity,
                "counts_as_failure": result.counts_as_failure(f.check),
                "request": f.request,
                "expected": f.expected,
                "got": f.got,
                "curl": f.curl,
            }
            for f in result.findings
        ],
        "notes": result.notes,
    }


def write_json(result: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(as_json(result), indent=2, ensure_ascii=False) + "\n"
    path.write_text(_encodable(text), "utf-8")


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry most control characters (they appear in generated names).
    text = _encodable(text)
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else f"\\x{ord(c):02x}" for c in text)


def as_junit(result: RunResult) -> ET.Element:
    failures = len(result.failed_checks)
    suite = ET.Element(
        "testsuite",
        name="agno-rename-conformance",
        tests=str(len(result.tallies)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("base_url", result.base_url),
        ("spec", result.spec_path),
        ("seed", str(result.seed)),
        ("requests_sent", str(result.requests_sent)),
    ):
        ET.SubElement(properties, "property", name=key, value=_xml_safe(value))
    for name in _ordered_checks(result):
        tally = result.tallies[name]
        case = ET.SubElement(suite, "testcase", classname="conformance", name=name)
        details = [
            f"[{f.request}]\nexpected: {f.expected}\ngot: {f.got}\nreproduce: {f.curl}"
            for f in result.findings
            if f.check == name
        ]
        text = _xml_safe("\n\n".join(details))
        message = (
            f"{tally.failed} of {tally.passed + tally.failed} failed: {CHECKS[name].description}"
        )
        if tally.failed and result.counts_as_failure(name):
            failure = ET.SubElement(case, "failure", message=_xml_safe(message))
            failure.text = text
        elif tally.failed:
            ET.SubElement(case, "system-out").text = (
                _xml_safe(f"WARNING (recommended): {message}\n\n") + text
            )
    return suite


def write_junit(result: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    root = ET.Element("testsuites")
    root.append(as_junit(result))
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
