"""The sandbox's notion of "now", so tests can move Chorus Pro time forward at will."""
import datetime
import threading


class SandboxClock:
    """Wall-clock time plus an offset that ``advance`` moves forward.

    Given ``start``, the clock is frozen there and only ``advance`` moves it, which makes
    dates in responses reproducible.
    """

    def __init__(self, start=None):
        self._lock = threading.Lock()
        self._frozen_at = start
        self._offset = datetime.timedelta()

    def now(self):
        base = self._frozen_at or datetime.datetime.now().replace(microsecond=0)
        with self._lock:
            return base + self._offset

    def today(self):
        return self.now().date()

    def advance(self, seconds):
        """Move sandbox time forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += datetime.timedelta(seconds=seconds)
