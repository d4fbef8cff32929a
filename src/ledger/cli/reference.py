"""Generated reference pages (Referenz): the record kinds, the settings and the command line.

Each page in docs/reference/ holds its generated part between two HTML comments; `ledger
kinds --write`, `ledger config --write` and `ledger help --write` replace that part, `make
reference` runs all three, and tests/test_reference_docs.py fails when a page is out of date.
`ledger help` prints the command line's reference: every command with its arguments, read
from the parsers themselves.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The command-line reference page, relative to the repository's root.
CLI_REFERENCE = "docs/reference/cli.md"
CLI_MARKERS = ("<!-- cli:begin -->", "<!-- cli:end -->")


def generated_part(text: str, markers: tuple[str, str]) -> str:
    """The text between the two markers, stripped; ValueError when a marker is missing."""
    begin, end = markers
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} … {end} markers")
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def write_generated(path: Path, markers: tuple[str, str], generated: str) -> None:
    """Replaces the text between the markers of a Markdown file with `generated`."""
    text = path.read_text(encoding="utf-8")
    try:
        generated_part(text, markers)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    begin, end = markers
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{begin}\n{generated.strip()}\n{end}{tail}", encoding="utf-8")


def cell(text: str) -> str:
    """Text for a Markdown paragraph or table cell: one line, `|` escaped, and outside code
    spans `<` `>` (Markdown would take them for HTML) and `*` (for emphasis)."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):
        plain = parts[index].replace("<", "&lt;").replace(">", "&gt;")
        parts[index] = plain.replace("*", "\\*")
    return "`".join(parts)


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[argparse.ArgumentParser, str]]:
    """The parsers of a parser's subcommands with their one-line help, in the order added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if name in helps:  # not an alias
                    yield sub, helps[name]


def _walk(parser: argparse.ArgumentParser, summary: str = "") -> Iterator[tuple[Any, str]]:
    """The parser and, depth first, every subcommand's parser, each with its one-line help."""
    yield parser, summary
    for sub, help_text in _subcommands(parser):
        yield from _walk(sub, help_text)


def _argument(action: argparse.Action) -> str:
    """How an argument is written: `FILE`, `--body BODY`, `--format {text,json}`, `--dry-run`."""
    if not action.option_strings:
        return str(action.metavar or action.dest).upper()
    name = ", ".join(action.option_strings)
    if action.nargs == 0:
        return name
    if action.choices is not None:
        return f"{name} {{{','.join(map(str, action.choices))}}}"
    return f"{name} {action.metavar or action.dest.upper()}"


def _meaning(action: argparse.Action) -> str:
    """The argument's help, with whether it is required or repeatable."""
    parts = [cell(action.help or "")]
    if action.option_strings and action.required:
        parts.append("(required)")
    if isinstance(action, argparse._AppendAction) and "repeatable" not in parts[0]:
        parts.append("(repeatable)")
    return " ".join(part for part in parts if part)


def _section(parser: argparse.ArgumentParser, summary: str) -> list[str]:
    """One command's heading, description (else its one-line help) and table of arguments."""
    out = [f"### `{parser.prog}`", ""]
    about = parser.description or (summary[:1].upper() + summary[1:] + "." if summary else "")
    if about:
        out += [cell(about), ""]
    subcommands = [sub.prog.rsplit(" ", 1)[-1] for sub, _ in _subcommands(parser)]
    if subcommands:
        out += ["Subcommands: " + ", ".join(f"`{name}`" for name in subcommands) + ".", ""]
    arguments = [
        action
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        and not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
    ]
    if arguments:
        out += ["| argument | meaning |", "|---|---|"]
        out += [f"| `{cell(_argument(a))}` | {_meaning(a)} |" for a in arguments]
        out.append("")
    return out


def cli_markdown(root: argparse.ArgumentParser) -> str:
    """A table of the commands, then every command and subcommand with its arguments, as
    Markdown."""
    out = ["| command | what |", "|---|---|"]
    out += [f"| `{sub.prog}` | {cell(summary)} |" for sub, summary in _subcommands(root)]
    out.append("")
    for parser, summary in list(_walk(root))[1:]:
        out += _section(parser, summary)
    return "\n".join(out)


def run_help(args: argparse.Namespace) -> int:
    """Prints or writes the command-line reference."""
    markdown = cli_markdown(args.root)
    if args.write:
        write_generated(Path(args.write), CLI_MARKERS, markdown)
    else:
        print(markdown)
    return 0


def register(commands: Any, root: argparse.ArgumentParser) -> None:
    """Adds `ledger help`, which describes `root` (the whole `ledger` parser, plug-ins too)."""
    p = commands.add_parser(
        "help",
        help="print every command and its arguments as Markdown (the docs' reference)",
        description="Print every command and subcommand with its arguments, as Markdown, "
        "read from the parsers themselves.",
    )
    p.add_argument(
        "--write",
        metavar="FILE.md",
        help=f"update the reference between the markers of FILE.md (the docs' is {CLI_REFERENCE})",
    )
    p.set_defaults(handler=run_help, root=root)
