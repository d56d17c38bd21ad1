"""The sandbox's notion of "now", so tests can move Chorus Pro time forward at will."""
import datetime
import threading
import zoneinfo

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def paris_now():
    """Wall-clock time in Paris, naive: Chorus Pro writes its times as Paris time."""
    return datetime.datetime.now(PARIS).replace(tzinfo=None)


class SandboxClock:
    """Wall-clock time (Paris, naive, as the platform writes it) plus an offset that
    ``advance`` moves forward.

    Given ``start``, the clock is frozen there and only ``advance`` moves it, which makes
    dates in responses reproducible.
    """

    def __init__(self, start=None):
        self._lock = threading.Lock()
        self._frozen_at = start
        self._offset = datetime.timedelta()

    def now(self):
        base = self._frozen_at or paris_now().replace(microsecond=0)
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
