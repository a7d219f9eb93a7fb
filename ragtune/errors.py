"""The one base of ragtune's domain errors (simonw/llm's errors.py).

A RagtuneError is a problem the user can fix, and its message says how: the command line
(ragtune/cli.py) prints it as one `error: <message>` line with exit code 2, and the server maps
each kind to an HTTP status. Anything else is a bug and keeps its traceback.
"""


class RagtuneError(Exception):
    """A failure the user can fix; the message names what is wrong and what to do next."""
