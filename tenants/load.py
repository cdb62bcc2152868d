"""Read YAML into plain values while remembering where each value stood.

PyYAML is strict enough once told to be: duplicate keys, anchors and aliases are
errors (a duplicated key silently keeps the last value; an alias can hide what a
reviewer thinks they approved), explicit tags are errors (`!!python/object`, `!custom`:
a tag would otherwise be dropped or change a value's type unseen), and timestamps stay
strings so the schema can check their format and report a bad date at its own line.

Bounds, checked before the work they bound: a file above MAX_BYTES is not read (nor
anything that is not a regular file: a FIFO or /dev/zero is refused, not read forever),
nesting deeper than MAX_DEPTH and documents of more than MAX_NODES nodes are refused
while the value is built, each as a located TEN008.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wardcloud.core.files import Code as FileCode
from wardcloud.core.files import FileError, read_input
from wardcloud.tenants.problems import Code, Problem

try:  # the C parser is ~10x faster; fall back where libyaml is missing
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader

Pointer = tuple[str | int | float | bool, ...]
_STR = "tag:yaml.org,2002:str"
MAX_BYTES = 256 << 10  # a tenant file is ~3 KB, a rules file ~2 KB: 256 KiB is generous and parses in < 1 s
MAX_DEPTH = 32  # the deepest real value (a security group's rule's port range) sits at depth 6
MAX_NODES = 50_000  # a tenant file has ~200


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that leaves timestamps as strings."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its value and the (line, column) of every node, 1-based."""

    file: str
    value: Any
    marks: dict[Pointer, tuple[int, int]]
    key_marks: dict[Pointer, tuple[int, int]]

    def mark(self, pointer: Pointer) -> tuple[int, int]:
        """Position of the node at `pointer`, or of its nearest located ancestor."""
        while pointer not in self.marks and pointer:
            pointer = pointer[:-1]
        return self.marks.get(pointer, (1, 1))

    def problem(self, pointer: Pointer, code: str, message: str, *, at_key: bool = False) -> Problem:
        """A problem located at a node (or at its key, for misplaced or unknown keys)."""
        line, column = self.key_marks.get(pointer, (0, 0)) if at_key else (0, 0)
        if not line:
            line, column = self.mark(pointer)
        return Problem(self.file, line, column, code, message, dotted(pointer))


def dotted(pointer: Pointer) -> str:
    """`segments.mynumber.cidr`, `security_groups[0].ingress[1].source`."""
    out = ""
    for part in pointer:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class YamlError(Exception):
    """A file that is not one well-formed YAML document; carries its problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.render())


def _position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def read_bytes(path: Path, display: str) -> bytes:
    """The file's bytes, or a YamlError saying why it cannot be read (missing, not a regular file, or above
    MAX_BYTES: refused before a byte is parsed)."""
    try:
        return read_input(path, limit=MAX_BYTES)
    except FileError as exc:
        problem = exc.problems[0]
        code = Code.TOO_LARGE if problem.code == FileCode.TOO_LARGE else Code.UNREADABLE
        message = problem.message if code == Code.TOO_LARGE else f"cannot read file: {problem.message}"
        raise YamlError(Problem(display, 1, 1, code, message)) from None


def read_text(path: Path, display: str) -> str:
    """The file's text as UTF-8, or a YamlError naming the first bad byte's line and column."""
    return decode(read_bytes(path, display), display)


def decode(raw: bytes, display: str) -> str:
    """Bytes as UTF-8 text, or a YamlError naming the first bad byte's line and column."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        msg = f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        raise YamlError(Problem(display, line, column, Code.NOT_UTF8, msg)) from exc


def parse(text: str, display: str, *, passed_before: bool = False) -> Document:
    """Parse one YAML document strictly; raise YamlError with the position of what is wrong.

    `passed_before`: these exact bytes already passed (src/wardcloud/core/verdicts.py), so the second pass
    that looks for anchors, which cannot find one, is skipped.
    """
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise YamlError(Problem(display, 1, 1, Code.EMPTY_FILE, "file is empty: expected a tenant mapping"))
    loader = _StrictLoader(text)
    try:
        if not loader.check_node():  # pragma: no cover - caught by the emptiness test above
            raise YamlError(Problem(display, 1, 1, Code.EMPTY_FILE, "file is empty"))
        root = loader.get_node()
        if loader.check_node():
            line, column = _position(loader.get_node().start_mark)
            raise YamlError(Problem(display, line, column, Code.MULTIPLE_DOCUMENTS,
                                    "more than one YAML document; a tenant file holds exactly one"))
    except yaml.MarkedYAMLError as exc:
        line, column = _position(exc.problem_mark)
        reason = (exc.problem or "syntax error").strip()
        if "\t" in (exc.problem or "") or "'\\t'" in str(exc):
            reason = "tab character: YAML indents with spaces only"
        raise YamlError(Problem(display, line, column, Code.YAML_SYNTAX, f"invalid YAML: {reason}")) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without a mark
        raise YamlError(Problem(display, 1, 1, Code.YAML_SYNTAX, f"invalid YAML: {exc}")) from exc
    finally:
        loader.dispose()

    if not passed_before:
        _reject_anchors(text, display)
    marks: dict[Pointer, tuple[int, int]] = {}
    key_marks: dict[Pointer, tuple[int, int]] = {}

    def build(node: yaml.Node, pointer: Pointer) -> Any:
        if len(pointer) > MAX_DEPTH or len(marks) >= MAX_NODES:
            line, column = _position(node.start_mark)
            what = (f"nesting deeper than {MAX_DEPTH} levels" if len(pointer) > MAX_DEPTH
                    else f"more than {MAX_NODES:,} values")
            raise YamlError(Problem(display, line, column, Code.TOO_LARGE,
                                    f"{what}: no tenant, rules or policy file needs that",
                                    dotted(pointer) if len(pointer) <= MAX_DEPTH else ""))
        marks[pointer] = _position(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlError(Problem(display, *_position(key_node.start_mark), Code.YAML_ALIAS,
                                            "YAML merge keys (<<) are not allowed; write the keys out"))
                key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if not isinstance(key, str | int | float | bool) or key is None:
                    raise YamlError(Problem(display, *_position(key_node.start_mark), Code.YAML_SYNTAX,
                                            "mapping keys must be plain scalars"))
                if key in result:
                    first = key_marks[(*pointer, key)]
                    raise YamlError(Problem(display, *_position(key_node.start_mark), Code.DUPLICATE_KEY,
                                            f"duplicate key '{key}' (first at line {first[0]}); "
                                            "YAML would silently keep only the last", dotted((*pointer, key))))
                key_marks[(*pointer, key)] = _position(key_node.start_mark)
                result[key] = build(value_node, (*pointer, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, (*pointer, i)) for i, item in enumerate(node.value)]
        if node.tag == _STR:  # most scalars: PyYAML's constructor would return node.value, slowly
            return node.value
        return loader.construct_object(node)

    try:
        value = build(root, ())
    except yaml.constructor.ConstructorError as exc:
        line, column = _position(exc.problem_mark)
        raise YamlError(Problem(display, line, column, Code.YAML_SYNTAX, f"invalid YAML: {exc.problem}")) from exc
    return Document(display, value, marks, key_marks)


# `&name` or `*name`: an anchor or alias token needs a name character right after the indicator, and
# PyYAML and libyaml both take only ASCII letters, digits, `-` and `_` there, so a backup schedule's
# "0 2 * * *" (every tenant file has one, its last `*` followed by a quote) does not cost a second parse;
# a tag needs `!`
_MAYBE_ANCHOR_OR_TAG = re.compile(r"[&*][0-9A-Za-z_-]|!")


def _reject_anchors(text: str, display: str) -> None:
    """Anchors and aliases let one edit change values far away from it; tenant files spell values out.
    Explicit tags (`!!python/object:…`, `!custom`, even `!!str`) are refused too: a safe loader would drop
    or reinterpret them, so what a reviewer reads would not be what is loaded."""
    if not _MAYBE_ANCHOR_OR_TAG.search(text):  # the event pass is only worth it when one could be there
        return
    for event in yaml.parse(text, Loader=_StrictLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line, column = _position(event.start_mark)
            raise YamlError(Problem(display, line, column, Code.YAML_ALIAS,
                                    "YAML anchors and aliases are not allowed; write the value out"))
        tag = getattr(event, "tag", None)
        if tag is not None and not isinstance(event, yaml.DocumentStartEvent | yaml.DocumentEndEvent):
            line, column = _position(event.start_mark)
            raise YamlError(Problem(display, line, column, Code.YAML_TAG,
                                    f"YAML tag {tag!r} is not allowed: write plain values (quote a string)"))


def load_document(path: Path, display: str | None = None) -> Document:
    """Read and parse a YAML file; raise YamlError naming the file."""
    name = display or str(path)
    return parse(read_text(path, name), name)
