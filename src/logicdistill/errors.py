"""Errors a user can cause. The CLI prints these as one clear line (exit 2), never a traceback."""


class UserError(Exception):
    """Bad input from the user: an unknown name, a malformed file, a value out of range."""


class FormatError(UserError):
    """A file or text that does not parse (map, scenario, function base, teacher reply)."""
