"""Entry point of the ``stagingpro`` command: argument parsing and one-line errors."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from controller import __version__
from controller.api.crdgen import render_crds, render_reference
from controller.catalog.schema import render_schemas
from controller.cli import (
    cluster_cmds,
    completion,
    emulator_cmd,
    migrate_cmd,
    operator_cmd,
    run_cmd,
    store_cmds,
)
from controller.cli.errors import CliError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell tool whose reader went away

Command = Callable[[argparse.Namespace], int]
VERBOSE_HELP = "show every change of a plan and the details of errors"


def _write_generated(files: dict[str, str], directory: Path, check: bool) -> list[str]:
    """Write generated files, or with `check` return those that differ from what would be written."""
    stale = []
    for name, text in files.items():
        path = directory / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return stale


def _cmd_crds(args: argparse.Namespace) -> int:
    if str(args.output) == "-":
        sys.stdout.write("---\n".join(render_crds().values()))
        return EXIT_OK
    stale = _write_generated(render_crds(), args.output, args.check)
    if args.reference:
        stale += _write_generated(
            {args.reference.name: render_reference()}, args.reference.parent, args.check
        )
    if stale:
        raise CliError(f"out of date with the models: {', '.join(stale)} (run: make generate)")
    if args.check:
        print(f"{args.output}: up to date")
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    stale = _write_generated(render_schemas(), args.output, args.check)
    if stale:
        raise CliError(
            f"out of date with the field tables: {', '.join(stale)} (run: make generate)"
        )
    if args.check:
        print(f"{args.output}: up to date")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1: exit code 2 means "changes to apply" for `plan`."""

    def error(self, message: str) -> NoReturn:
        message = _INVALID.sub(lambda m: f"{m[2]} must be {_TYPE_WORDS[m[1]]}", message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


_INVALID = re.compile(r"invalid (int|float) value: ('.*')")
_TYPE_WORDS = {"int": "a whole number", "float": "a number"}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(
        prog="stagingpro",
        description="Staging, sandbox and GitOps deployment for BigCommerce stores.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"stagingpro {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    crds = sub.add_parser(
        "crds",
        help="generate the CustomResourceDefinitions from the resource models",
        description="Write the CRDs generated from controller/api into a directory.",
        epilog="examples:\n  stagingpro crds\n  stagingpro crds --output - | kubectl apply -f -\n"
        "  stagingpro crds --check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    crds.add_argument(
        "--output", "-o", type=Path, default=Path("crds"), help="directory, or - for stdout"
    )
    crds.add_argument("--reference", type=Path, help="also write the Markdown field reference here")
    crds.add_argument("--check", action="store_true", help="fail if the directory is out of date")
    crds.set_defaults(func=_cmd_crds)

    schema = sub.add_parser(
        "schema",
        help="write the JSON Schemas of the catalog files",
        description="Write JSON Schemas for products.jsonl / products/*.yaml, categories.yaml, brands.yaml "
        "and scripts.yaml, for editors and the CI of catalog repositories.",
        epilog="examples:\n  stagingpro schema --output docs/schema\n  stagingpro schema --check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.add_argument("--output", "-o", type=Path, default=Path("docs/schema"), help="directory")
    schema.add_argument("--check", action="store_true", help="fail if the directory is out of date")
    schema.set_defaults(func=_cmd_schema)
    store_cmds.register(sub)
    migrate_cmd.register(sub)
    run_cmd.register(sub)
    operator_cmd.register(sub)
    emulator_cmd.register(sub)
    cluster_cmds.register(sub)
    completion.register(sub)
    for command in sub.choices.values():  # --verbose also after the command's name
        command.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return func(args)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.verbose and error.__cause__ is not None:
            print(f"  caused by: {error.__cause__!r}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `stagingpro plan | head`: the reader has what it wanted; end quietly, and keep the
        # interpreter from complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
