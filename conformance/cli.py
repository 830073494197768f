"""`python -m conformance run ...` and the `agno-rename-conformance` console script.

Exit codes: 0 conformant, 1 failures found, 2 usage error, missing dependency or target
unreachable, always with one line on stderr saying what to do (never a traceback: a CI gate must
not read a broken installation as "not conformant").

Only the standard library is imported at module level: the suite's dependencies (Schemathesis,
Hypothesis, requests, PyYAML) are imported in `main`, where a missing one becomes exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import EXIT_USAGE
from conformance.defaults import BUNDLED_SPEC, DEFAULT_MAX_EXAMPLES, DISTRIBUTION
from conformance.sessions import UsageError, load_sessions

PROG = "agno-rename-conformance"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
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
    # Imported here: these need the suite's dependencies (see main).
    from conformance.progress import ConsoleProgress
    from conformance.report import summary, write_json, write_junit
    from conformance.runner import RunOptions, request_bound, run_suite

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
    for path, write in ((args.report_json, write_json), (args.junit_xml, write_junit)):
        if path is None:
            continue
        try:
            write(result, path)
        except OSError as error:
            raise UsageError(f"cannot write report {path}: {error.strerror}") from None
    return result.exit_code


def _missing_dependency(error: ImportError) -> str | None:
    """The top-level name of a missing third-party module; None for our own modules."""
    name = (error.name or "").split(".")[0]
    if not name or name == "conformance":
        return None
    return name


def _dependency_problem() -> str | None:
    """One line saying what to install, when a dependency of the suite cannot be imported."""
    try:
        import conformance.runner  # noqa: F401  (imports every dependency of a run)
    except ImportError as error:
        missing = _missing_dependency(error)
        if missing is None:
            raise
        install = f"install with: pip install {DISTRIBUTION}"
        return f"{PROG}: error: missing dependency {missing!r}; {install}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The console script also accepts the options without the `run` word.
    if arguments and arguments[0].startswith("--") and arguments[0] not in ("--help",):
        arguments.insert(0, "run")
    # A broken installation is said first: nothing else can be fixed before it (--help works).
    if not {"-h", "--help"} & set(arguments):
        problem = _dependency_problem()
        if problem is not None:
            sys.stderr.write(problem + "\n")
            return EXIT_USAGE
    args = build_parser().parse_args(arguments)
    from conformance.runner import TargetUnreachable

    try:
        return _run(args)
    except (UsageError, TargetUnreachable) as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_USAGE
