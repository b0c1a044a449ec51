"""The console notifier: every event kept (tests read them) and logged at its severity."""

import logging

from stainless.backends.notify import Event
from stainless.backends.notify.console import ConsoleNotifier


def test_events_are_kept_and_logged_at_their_severity(caplog):
    notifier = ConsoleNotifier()
    with caplog.at_level(logging.DEBUG):
        notifier.send(
            Event("decision", "house-prices", "Version 2 approved", fields={"rmse": 1.23456})
        )
        notifier.send(
            Event(
                "rolled_back",
                "house-prices",
                "Version 3 rolled back",
                severity="alert",
                links={"run report": "file:///r.html"},
            )
        )
    assert [event.kind for event in notifier.sent] == ["decision", "rolled_back"]
    first, second = caplog.records[-2:]
    assert first.getMessage() == "[house-prices] Version 2 approved (rmse=1.235)"
    assert second.getMessage() == "[house-prices] Version 3 rolled back (run report=file:///r.html)"
    assert second.levelno > first.levelno
