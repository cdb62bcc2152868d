"""The one error shape every wardcloud library raises for bad input, and the CLI prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input, located at a file, line and column (1-based; 0 when unknown)."""

    file: str
    line: int
    column: int
    code: str
    message: str
    path: str = ""

    def render(self) -> str:
        """`FILE:LINE:COL: CODE message (at path)` — the one-line form editors and CI parse.

        Always one line: a newline, tab or terminal escape that came from input (a key, a cell, a file
        name) is shown escaped, so it can neither split the line nor drive the terminal.
        """
        where = f" (at {_printable(self.path)})" if self.path else ""
        position = f"{self.line}:{self.column}:" if self.column else f"{self.line}:" if self.line else ""
        return f"{_printable(self.file)}:{position} {self.code} {_printable(self.message)}{where}"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class WardcloudError(Exception):
    """Bad input the user can fix: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


def _printable(text: str) -> str:
    """`text` with control characters (newlines, tabs, ESC …) written as escapes; everything else kept."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def single(file: str, code: str, message: str, *, line: int = 0, column: int = 0, path: str = "") -> Problem:
    """A problem with an optional position, for inputs that are not line-oriented."""
    return Problem(file, line, column, code, message, path)
