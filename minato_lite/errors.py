"""Errors that the CLI turns into one line on stderr and an exit code.

Every failure a user can cause (a bad path, an unreadable file, a name that
cannot be found) is raised as :class:`UserError` with a message that names the
thing and the fix, so the CLI never has to show a traceback for it.
"""

from __future__ import annotations


class MinatoError(Exception):
    """Base class for errors minato-lite raises on purpose."""

    exit_code = 1


class UserError(MinatoError):
    """Bad usage or bad input: exit code 2, one line, no traceback."""

    exit_code = 2


class EnvironmentProblem(MinatoError):
    """Something the machine lacks (a tool, a download): exit code 1."""

    exit_code = 1


def one_line(message: object) -> str:
    """Collapse a message to one line so hostile input cannot forge output lines."""
    return " ".join(str(message).split())
