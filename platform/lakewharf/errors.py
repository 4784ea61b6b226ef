"""The one base of every error a user can cause or fix: bad input, a missing service, a refused write.

Every room raises its own subclass (``CatalogInvalid``, ``SettingsError``, ``BindingError``,
``LakeUnavailable`` …) with a message and, where there is one, a hint; ``cli/main.py`` handles
the base once, so any of them ends a command with one clear line and exit status 1. Anything
else that escapes a command is a bug in lakewharf and is reported as an internal error.
"""

from __future__ import annotations


class WharfError(Exception):
    """A problem in the user's input or environment, with what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message
