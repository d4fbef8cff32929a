"""YAML as people write it for the ledger, read with the limits every input file has.

Booleans are YAML 1.2's (true/false), so `yes:`/`no:` stay keys; integers are decimal ASCII
digits (YAML 1.1 also reads 010 as 8, 1_000, 0x10 and 1:30); dates stay text, so that the
field's parser, which knows the command and the field, refuses an impossible one. While the
document is composed its nesting, its size with aliases expanded and its keys are checked.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# The most levels of lists and mappings in one file; a command file needs three (the list of
# commands, a command, a list of items). PyYAML's scanner and parser are iterative but its
# composer recurses once per level (10,000 levels: RecursionError), so the depth is checked
# in the composer as each level opens: neither it nor the constructor, the field parsers or
# json.dumps after it ever recurse deeper than this, whatever the interpreter's stack.
MAX_DEPTH = 32
# The most bytes of a command file, and of a YAML document with its aliases expanded.
MAX_FILE_BYTES = 50 * 1024 * 1024
# The most digits of an integer read as a number; a longer one stays text (LongInteger).
MAX_INT_DIGITS = 100

INT = "tag:yaml.org,2002:int"
DECIMAL_INTEGER = re.compile(r"[-+]?[0-9]+")


class LongInteger(str):
    """An integer literal of more than MAX_INT_DIGITS digits, kept as its text.

    No field accepts a number that long; the field's parser refuses it naming the command
    and the field, and int() is spared a conversion that grows with the square of its digits.
    """

    @property
    def digits(self) -> int:
        """How many digits it has."""
        return len(self.lstrip("+-"))


def integer(text: str) -> int | LongInteger:
    """A decimal integer literal (ASCII digits) as int, or as LongInteger if it is too long."""
    if len(text.lstrip("+-")) > MAX_INT_DIGITS:
        return LongInteger(text)
    return int(text)


class FileLimitError(yaml.MarkedYAMLError):
    """A document breaks a limit of the ledger's files; `path` leads from the root to where.

    The path holds list indexes (int) and mapping keys (str), e.g. (3, "note") for the
    field `note` of the fourth command.
    """

    def __init__(self, problem: str, mark: Any, path: tuple[int | str, ...]) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.path = path


class PlainYamlLoader(yaml.SafeLoader):
    """A safe loader with the ledger's scalars and limits (see the module's docstring)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._path: list[int | str] = []
        self._depth = 0
        # (height, weight) of composed nodes by id: height is its levels of nesting, weight
        # its scalar characters and collections counted with aliases expanded. A node's entry
        # is dropped once its parent has counted it, unless it has an anchor (an alias may
        # count it again); nodes stay alive until the document is composed, so ids are unique.
        self._measures: dict[int, tuple[int, int]] = {}
        self._anchored: set[int] = set()

    def compose_document(self) -> Node | None:
        node: Node | None = super().compose_document()
        self._measures.clear()
        self._anchored.clear()
        return node

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self._events.peek_event()
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            node: Node | None = super().compose_node(parent, index)
            measure = self._measures.get(id(node))
            if measure is None:
                raise self._limit("an alias inside its own anchor makes an endless value", mark)
            height, _ = measure
            if self._depth + height > MAX_DEPTH:
                raise self._too_deep(mark)
            return node
        return super().compose_node(parent, index)

    # The stubs type `anchor` as a dict and leave get_event/resolve untyped; `_events` is
    # this loader seen as Any for those calls.
    @property
    def _events(self) -> Any:
        return self

    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        node: ScalarNode = super().compose_scalar_node(anchor)
        if anchor is not None:
            self._anchored.add(id(node))
        self._measured(node, 0, len(node.value), node.start_mark)
        return node

    def compose_sequence_node(self, anchor: Any) -> SequenceNode:
        start = self._events.get_event()
        self._open(start.start_mark)
        tag = start.tag
        if tag is None or tag == "!":
            tag = self._events.resolve(SequenceNode, None, start.implicit)
        node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
            self._anchored.add(id(node))
        height, weight = 0, 1
        while not self.check_event(yaml.SequenceEndEvent):
            self._path.append(len(node.value))
            item = self.compose_node(node, len(node.value))
            self._path.pop()
            node.value.append(item)
            height, weight = self._add(height, weight, item)
        node.end_mark = self._events.get_event().end_mark
        self._depth -= 1
        self._measured(node, height + 1, weight, node.start_mark)
        return node

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        start = self._events.get_event()
        self._open(start.start_mark)
        tag = start.tag
        if tag is None or tag == "!":
            tag = self._events.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
            self._anchored.add(id(node))
        height, weight = 0, 1
        # YAML requires unique keys; PyYAML keeps the last value of a repeated one, so a
        # command giving `status:` twice would record the second silently.
        seen: dict[tuple[str, str], int] = {}
        while not self.check_event(yaml.MappingEndEvent):
            key = self.compose_node(node, None)
            label: int | str = "?"
            if isinstance(key, ScalarNode):
                label = key.value
                first = seen.get((key.tag, key.value))
                self._path.append(label)
                if first is not None:
                    raise self._limit(f"is given twice (first on line {first})", key.start_mark)
                seen[key.tag, key.value] = key.start_mark.line + 1
            else:
                self._path.append(label)
            value = self.compose_node(node, key)
            self._path.pop()
            node.value.append((key, value))
            height, weight = self._add(height, weight, key)
            height, weight = self._add(height, weight, value)
        node.end_mark = self._events.get_event().end_mark
        self._depth -= 1
        self._measured(node, height + 1, weight, node.start_mark)
        return node

    def _open(self, mark: Any) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._too_deep(mark)

    def _add(self, height: int, weight: int, child: Node | None) -> tuple[int, int]:
        key = id(child)
        measure = self._measures.get if key in self._anchored else self._measures.pop
        child_height, child_weight = measure(key, (0, 0))
        return max(height, child_height), weight + child_weight

    def _measured(self, node: Node | None, height: int, weight: int, mark: Any) -> None:
        self._measures[id(node)] = (height, weight)
        if weight > MAX_FILE_BYTES:
            raise self._limit(
                f"holds more than {MAX_FILE_BYTES:,} bytes with its aliases expanded "
                f"(the most a file may hold)",
                mark,
            )

    def _too_deep(self, mark: Any) -> FileLimitError:
        return self._limit(f"nests lists and mappings more than {MAX_DEPTH} levels deep", mark)

    def _limit(self, problem: str, mark: Any) -> FileLimitError:
        return FileLimitError(problem, mark, tuple(self._path))


def _construct_integer(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | LongInteger:
    text = str(loader.construct_scalar(node))
    if not DECIMAL_INTEGER.fullmatch(text):
        # Only an explicit `!!int` tag gets here with other text (the resolver admits digits).
        raise yaml.constructor.ConstructorError(
            None, None, f"{text[:60]!r} is not a decimal integer", node.start_mark
        )
    return integer(text)


def _construct_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


PlainYamlLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", INT)
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PlainYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
PlainYamlLoader.add_implicit_resolver(INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
PlainYamlLoader.add_constructor(INT, _construct_integer)
# An explicit `!!timestamp` stays text as well, for the same reason as an implicit date.
PlainYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
# A number with a point stays the text it was written as: a budget-line code such as
# `01000.4000` keeps its zeros, and an amount is never a binary float. The fields decide:
# money parses the text exactly, a count refuses it as not an integer.
PlainYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_text)


def load_yaml(text: str) -> Any:
    """Parses YAML text with the ledger's loader (raises yaml.YAMLError, FileLimitError)."""
    return yaml.load(text, Loader=PlainYamlLoader)
