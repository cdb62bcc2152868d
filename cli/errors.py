"""Problem codes the command line itself reports (usage mistakes, bugs), beside each library's own."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Stable codes of `wardctl`'s own problems; documented in docs/errors.md, never renumbered."""

    INTERNAL = "CLI000"  # a bug: the message names the exception; WARDCTL_DEBUG=1 shows the traceback
    USAGE = "CLI001"  # a command line click rejects: unknown option, missing argument, bad choice
    ABORTED = "CLI002"  # the user declined a confirmation or pressed Ctrl-C
