"""Errors a user can hit and fix. The CLI prints their message as one line and exits non-zero;
anything else is a bug and keeps its stack trace."""


class ConductorError(Exception):
    """Base of user-fixable errors; the message names the fix."""
