"""The error type of the command line."""


class CliError(Exception):
    """An expected problem, reported as one line without a traceback."""
