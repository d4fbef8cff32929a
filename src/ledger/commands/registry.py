"""Record kinds: one frozen dataclass per `record:` kind, and the loader of command mappings.

A kind is declared once, as a dataclass decorated with `@command`: its `record` name, a
one-line `summary`, its fields typed `Annotated[T, Parse(parse_x, help="…")]` and its
`handle`, which applies it to a batch. Every kind has `body` and `effective` (`Command`); a
kind that may say where its fact comes from derives from `Sourced`. `parse_command` reads a
YAML/JSON mapping into the kind's dataclass with the field parsers of ledger.commands.fields,
and checks a dataclass built in Python with the same parsers.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from types import UnionType
from typing import TYPE_CHECKING, Annotated, ClassVar, TypeVar, dataclass_transform

from ledger.commands.fields import SHOWN, parse_date, parse_source, parse_text, shown
from ledger.errors import RuleViolationError

if TYPE_CHECKING:
    from ledger.commands.batch import Batch

#: A field parser: (field name, value as the file gives it) -> the typed value, or
#: RuleViolationError naming the field and the rule.
Parser = Callable[[str, object], object]


@dataclass(frozen=True, slots=True)
class Parse:
    """How a field is read: its parser, its help text and, for the JSON Schema, the values
    the domain accepts (the domain's own rule refuses any other, naming them)."""

    parse: Parser
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A command of a command file (`record: KIND`): every kind has `body` and `effective`."""

    #: The kind's name in a command file (`record: vote`).
    record: ClassVar[str]
    #: What the kind records, in one line (`ledger kinds`, the docs, the schema).
    summary: ClassVar[str]

    body: Annotated[str, Parse(parse_text, help="the body's slug, e.g. kyffhaeuserkreis")]
    effective: Annotated[
        date, Parse(parse_date, help="the date on which the fact holds (valid time)")
    ]

    def handle(self, batch: Batch) -> None:
        """Applies the command to the records of `batch` (each kind defines it)."""
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sourced(Command):
    """A command that may say where its fact comes from. Not part of what the fact states:
    a command recorded again with another source repeats it."""

    source: Annotated[
        str | None,
        Parse(
            parse_source,
            help="where it comes from, e.g. an OParl id URL (at most 1,000 characters); "
            "not compared when recorded again",
        ),
    ] = None


@dataclass(frozen=True)
class Field:
    """A field of a kind as the loader reads it: its parser, whether it is required (else its
    default), its help text and the values the domain accepts (empty: any)."""

    parse: Parser
    required: bool = True
    help: str = ""
    default: object = None
    choices: tuple[str, ...] = ()


class _Fresh:
    """A default made anew for each command (a list), so that no two commands share it."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


#: The default of a required field in a loader step.
_REQUIRED = object()

# What the loader does per field, precomputed per kind: name, parser, default (_REQUIRED,
# a _Fresh or the value) and the setter of the field's slot. The setter writes the frozen
# dataclass's slot directly: its __init__ goes through object.__setattr__ per field.
_Step = tuple[str, Parser, object, Callable[[Command, object], None]]


@dataclass(frozen=True, eq=False)
class CommandKind:
    """One `record:` kind: its dataclass and its fields in the order files and messages list
    them (body, effective, the kind's own, source last)."""

    name: str
    summary: str
    cls: type[Command]
    fields: dict[str, Field]
    allowed: frozenset[str]
    steps: tuple[_Step, ...]

    @classmethod
    def of(cls, command_class: type[Command]) -> CommandKind:
        """The kind declared by a command dataclass (reads its annotations once)."""
        hints = typing.get_type_hints(command_class, include_extras=True)
        declared = dataclasses.fields(command_class)
        last = [f for f in declared if f.name in _LAST]
        fields: dict[str, Field] = {}
        steps: list[_Step] = []
        for spec in [*(f for f in declared if f.name not in _LAST), *last]:
            parse = _parse_of(command_class, spec.name, hints[spec.name])
            fresh = None if spec.default_factory is dataclasses.MISSING else spec.default_factory
            required = spec.default is dataclasses.MISSING and fresh is None
            default = fresh() if fresh is not None else None if required else spec.default
            fields[spec.name] = Field(parse.parse, required, parse.help, default, parse.choices)
            put = getattr(command_class, spec.name).__set__
            missing = _REQUIRED if required else default if fresh is None else _Fresh(fresh)
            steps.append((spec.name, parse.parse, missing, put))
        return cls(
            command_class.record,
            command_class.summary,
            command_class,
            fields,
            frozenset(fields) | {"record"},
            tuple(steps),
        )

    def load(self, raw: Mapping[object, object]) -> Command:
        """The command of this kind that `raw` states: known fields, required ones, typed."""
        if not self.allowed.issuperset(raw):
            unknown = sorted(str(name)[:SHOWN] for name in set(raw) - self.allowed)
            raise RuleViolationError(
                unknown[0],
                f"unknown field for '{self.name}' (fields: {', '.join(self.fields)})",
            )
        loaded = _new(self.cls)
        get = raw.get
        for name, parse, missing, put in self.steps:
            value = get(name)
            if value is not None:
                put(loaded, parse(name, value))
            elif missing is _REQUIRED:
                raise RuleViolationError(name, f"is required for '{self.name}'")
            else:
                put(loaded, missing.make() if isinstance(missing, _Fresh) else missing)
        return loaded


#: The fields listed after a kind's own: the provenance of `Sourced`.
_LAST = frozenset(f.name for f in dataclasses.fields(Sourced)) - frozenset(
    f.name for f in dataclasses.fields(Command)
)
_new = object.__new__


def _parse_of(command_class: type[Command], name: str, hint: object) -> Parse:
    """The `Parse` of a field's annotation, also inside `Annotated[…] | None`."""
    options = typing.get_args(hint) if isinstance(hint, UnionType) else (hint,)
    for option in options:
        if typing.get_origin(option) is Annotated:
            found = [m for m in option.__metadata__ if isinstance(m, Parse)]
            if found:
                return found[0]
    raise TypeError(f"{command_class.__name__}.{name}: no Parse(…) in its annotation {hint}")


#: Every registered kind by its `record` name.
KINDS: dict[str, CommandKind] = {}

C = TypeVar("C", bound=Command)


@dataclass_transform(frozen_default=True, kw_only_default=True)
def command(cls: type[C]) -> type[C]:
    """Makes `cls` a frozen keyword-only dataclass with slots and registers it as its kind."""
    if cls.handle is Command.handle:
        raise TypeError(f"{cls.__name__} declares no handle(batch)")
    made = dataclass(frozen=True, slots=True, kw_only=True)(cls)
    kind = CommandKind.of(made)
    if kind.name in KINDS:
        raise ValueError(f"command kind {kind.name} registered twice")
    KINDS[kind.name] = kind
    return made


def parse_command(raw: object) -> Command:
    """One command: a mapping read by its kind's dataclass (known kind, known fields, required
    fields, typed values), or a command dataclass checked by the same parsers."""
    if type(raw) is not dict:  # a command file's mapping is one: no costlier check for it
        if isinstance(raw, Command):
            return check_command(raw)
        if not isinstance(raw, Mapping):
            raise RuleViolationError("record", f"a command must be a mapping, got {shown(raw)}")
    kind_name = raw.get("record")
    if kind_name is None:
        raise RuleViolationError("record", "every command needs 'record: KIND'")
    kind = KINDS.get(str(kind_name))
    if kind is None:
        raise RuleViolationError(
            "record", f"unknown record kind {shown(kind_name)} (known: {', '.join(sorted(KINDS))})"
        )
    return kind.load(raw)


def check_command(given: Command) -> Command:
    """A command built in Python, read again as its mapping would be: a value a file could
    not give (a count of -1, an empty title, an untrimmed reference) is refused alike."""
    name = getattr(given, "record", None)
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None or kind.cls is not type(given):
        raise RuleViolationError(
            "record", f"{type(given).__name__} is not a registered record kind"
        )
    return kind.load({name: getattr(given, name) for name in kind.fields})


def kind_label(raw: object) -> object:
    """The `record:` of a command as given (None if it has none)."""
    if isinstance(raw, Command):
        return getattr(raw, "record", None)
    return raw.get("record") if isinstance(raw, Mapping) else None
