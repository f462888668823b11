"""The clock tests pass in (``config["CLOCK"]`` and the services' ``now``):
it stands still at a start the test chooses and moves only when told, so no
test depends on today's date."""

from datetime import datetime, timedelta


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
