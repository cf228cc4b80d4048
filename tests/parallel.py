"""Real parallel requests for tests of races: threads released at the same moment, each
on its own database connection (the test must be `django_db(transaction=True)`)."""

import threading
from collections.abc import Callable

from django.db import connection


def in_parallel[T](count: int, call: Callable[[int], T]) -> list[T]:
    """`call(index)` in `count` threads released together; their results, by index."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call(index)
        except BaseException as error:  # raised again in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return results
