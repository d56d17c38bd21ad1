"""Validate a batch of documents on all the cores: a pool of validation workers.

Why: the EN 16931 schematrons cost tens of milliseconds per document in SaxonC and a batch
(a thousand invoices in a Send & Print) validates them one after the other. Each worker is a
``validation.py --serve`` child (see validation.py), which compiles its stylesheets once and
keeps them, so the pool pays the compilation once per worker, not per document. The calling
thread keeps building the next documents while the workers validate: ``submit`` returns at
once.

Like validation.py, this module imports nothing from Odoo.
"""

import atexit
import os
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from .validation import Validator, worker_validator

# Below this many documents the process's own validator is enough: starting another worker
# (3 to 8 s of stylesheet compilation) would cost more than it saves.
POOL_MIN_DOCUMENTS = 40


def available_cores():
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


class ValidatorPool:
    """``size`` validation workers (default: the available cores) fed by as many threads.

    The first one is the process's ``worker_validator()``, so a pool of one adds no worker.

    ``validate_many([(document, syntax), ...])`` returns the reports in order;
    ``submit(document, syntax)`` returns a ``Future`` of the report. Workers start on first
    use and are reused by later batches; ``close()`` stops them (a later call starts new ones).
    Thread-safe; fork-safe like ``Validator`` (a worker of the parent is never reused).
    """

    def __init__(self, size=None, timeout=120.0):
        self.size = max(int(size or available_cores()), 1)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._executor = None
        self._idle = None
        self._owner = None
        self._validators = []

    def _start(self):
        with self._lock:
            if self._executor is None or self._owner != os.getpid():
                self._owner = os.getpid()
                self._validators = [worker_validator()] + [
                    Validator(mode="subprocess", timeout=self.timeout)
                    for _i in range(self.size - 1)
                ]
                self._idle = queue.SimpleQueue()
                for validator in self._validators:
                    self._idle.put(validator)
                self._executor = ThreadPoolExecutor(
                    max_workers=self.size, thread_name_prefix="chorus-validation"
                )
            return self._executor

    def _validate(self, document, syntax):
        validator = self._idle.get()
        try:
            return validator.validate(document, syntax)
        finally:
            self._idle.put(validator)

    def submit(self, document, syntax):
        """A ``Future`` of the ``ValidationReport`` of one document of a Chorus syntax
        (validated right away, in this thread, by a pool of one)."""
        if self.size == 1:
            future = Future()
            try:
                future.set_result(worker_validator().validate(document, syntax))
            except Exception as exc:  # raised by result(), as from a worker thread
                future.set_exception(exc)
            return future
        return self._start().submit(self._validate, document, syntax)

    def warm_up(self, documents):
        """Validate ``[(document, syntax), ...]`` on every worker, so that each has compiled
        its stylesheets before a batch is timed or sent."""
        if self.size == 1:
            for document, syntax in documents:
                worker_validator().validate(document, syntax)
            return
        self._start()
        with ThreadPoolExecutor(max_workers=self.size) as executor:
            list(
                executor.map(
                    lambda validator: [validator.validate(d, s) for d, s in documents],
                    list(self._validators),
                )
            )

    def validate_many(self, documents):
        """The reports of ``[(document, syntax), ...]``, in the same order."""
        futures = [self.submit(document, syntax) for document, syntax in documents]
        return [future.result() for future in futures]

    def close(self):
        with self._lock:
            executor, self._executor = self._executor, None
            validators, self._validators = self._validators, []
        if executor is not None and self._owner == os.getpid():
            executor.shutdown(wait=True)
            for validator in validators[1:]:  # the default validator is not ours to stop
                validator.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


_DEFAULT_LOCK = threading.Lock()
_DEFAULT = []


def default_pool():
    """The process-wide pool, one worker per available core."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(ValidatorPool())
        return _DEFAULT[0]


def pool_for(count):
    """The pool that validates ``count`` documents best: all the cores for a batch, the
    process's own validator alone (a pool of one) otherwise."""
    if count >= POOL_MIN_DOCUMENTS:
        return default_pool()
    return ValidatorPool(size=1)


def _close_default_pool():
    with _DEFAULT_LOCK:
        for pool in _DEFAULT:
            pool.close()


atexit.register(_close_default_pool)
