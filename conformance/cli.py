"""`python -m conformance run ...` and the `agno-rename-conformance` console script.

Exit codes: 0 conformant, 1 failures found, 2 usage error or target unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import EXIT_USAGE
from conformance.progress import ConsoleProgress
from conformance.report import summary, write_json, write_junit
from conformance.runner import (
    DEFAULT_MAX_EXAMPLES,
    RunOptions,
    TargetUnreachable,
    request_bound,
    run_suite,
)
from conformance.sessions import UsageError, load_sessions
from conformance.spec import BUNDLED_SPEC


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="agno-rename-conformance",
        description="Check a server's POST /sessions/{session_id}/rename against the contract.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run the suite against a server")
    run.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:7777")
    run.add_argument(
        "--token",
        default=os.environ.get("TOKEN") or None,
        help="the bearer token the server accepts [env TOKEN]",
    )
    run.add_argument(
        "--sessions",
        required=True,
        type=Path,
        help='JSON file {"sessions": [{"session_id", "type", "user_id"}, ...]} listing '
        "sessions that exist on the server",
    )
    run.add_argument("--report-json", type=Path, help="write a JSON report here")
    run.add_argument("--junit-xml", type=Path, help="write a JUnit XML report here")
    run.add_argument(
        "--max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        help=f"generated requests per mode (positive, negative) [default {DEFAULT_MAX_EXAMPLES}]",
    )
    run.add_argument("--seed", type=int, help="Hypothesis seed, to repeat a run exactly")
    run.add_argument("--spec", type=Path, default=BUNDLED_SPEC, help="OpenAPI document")
    run.add_argument("--strict", action="store_true", help="recommended checks fail the run too")
    run.add_argument(
        "--restore-names", action="store_true", help="put the original names back at the end"
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    if not args.token:
        raise UsageError("--token is required (or set TOKEN)")
    options = RunOptions(
        base_url=args.base_url,
        token=args.token,
        sessions=load_sessions(args.sessions),
        spec=args.spec,
        max_examples=args.max_examples,
        seed=args.seed,
        strict=args.strict,
        restore_names=args.restore_names,
    )
    result = run_suite(options, ConsoleProgress(sys.stderr, request_bound(options)))
    sys.stdout.write(summary(result))
    if args.report_json:
        write_json(result, args.report_json)
    if args.junit_xml:
        write_junit(result, args.junit_xml)
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The console script also accepts the options without the `run` word.
    if arguments and arguments[0].startswith("--") and arguments[0] not in ("--help",):
        arguments.insert(0, "run")
    args = build_parser().parse_args(arguments)
    try:
        return _run(args)
    except (UsageError, TargetUnreachable) as error:
        sys.stderr.write(f"agno-rename-conformance: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("agno-rename-conformance: interrupted\n")
        return EXIT_USAGE
