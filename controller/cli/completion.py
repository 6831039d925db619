"""`stagingpro completion bash|zsh` and `stagingpro version`."""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Any

from controller import __version__


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    """The commands, and the options of each."""
    commands: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                commands[name] = sorted(
                    option
                    for a in sub._actions
                    for option in a.option_strings
                    if option.startswith("--")
                )
    return sorted(commands), commands


def bash_script(parser: argparse.ArgumentParser, prog: str = "stagingpro") -> str:
    """A bash completion function for the commands and their options (zsh: with bashcompinit)."""
    commands, options = _words(parser)
    cases = "\n".join(f'        {name}) opts="{" ".join(options[name])}" ;;' for name in commands)
    function = "_" + prog.replace("-", "_")
    return f"""# {prog} completion: source <({prog} completion bash)
{function}() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} command=${{COMP_WORDS[1]}} opts=""
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{" ".join(commands)} --help --version" -- "$cur"))
        return
    fi
    case "$command" in
{cases}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -F {function} {prog}
complete -F {function} kubectl-stagingpro
"""


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the completion script."""
    from controller.cli.main import build_parser

    script = bash_script(build_parser())
    if args.shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    sys.stdout.write(script)
    return 0


def cmd_version(args: argparse.Namespace) -> int:
    """The version, and what it runs on."""
    print(f"stagingpro {__version__} (Python {platform.python_version()}, {sys.platform})")
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the commands to the parser."""
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh.",
        epilog="examples:\n  source <(stagingpro completion bash)\n"
        "  stagingpro completion zsh > ~/.zfunc/_stagingpro",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(func=cmd_completion)
    version = sub.add_parser("version", help="print the version", description="Print the version.")
    version.set_defaults(func=cmd_version)
