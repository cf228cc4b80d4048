"""A deadline on work that users control (a JSONPath query, a structural comparison) that
runs in Python on a thread shared with other work.

A thread cannot be stopped from outside, so the work is stopped from inside: while the
block runs, a trace function on this thread looks at the clock each time a Python function
is called and, past the deadline, raises `TooLate` there. It is a BaseException so that a
library's `except Exception` does not swallow it. What runs in C without calling back into
Python (RE2, the JSON encoder) is not interrupted; those take time in proportion to their
input, which is bounded elsewhere.
"""

import contextlib
import sys
import time
from collections.abc import Iterator


class TooLate(BaseException):
    """The block's deadline passed."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Run the block for at most about `seconds`; past them it raises TooLate."""
    ends = time.monotonic() + seconds

    def look_at_the_clock(frame, event, arg):
        if time.monotonic() > ends:
            raise TooLate
        return None  # no line events: only calls are looked at

    before = sys.gettrace()
    sys.settrace(look_at_the_clock)
    try:
        yield
    finally:
        sys.settrace(before)
