"""What marketing modules tell each other, inside the transaction that made it happen: a
lead was created or converted, a form was submitted, an address unsubscribed or bounced.
Sequences listen (to enrol people and to let them leave); senders do not need to know who
listens. Listeners only write rows; slow work goes to jobs after the commit."""

from __future__ import annotations

from collections.abc import Callable

# The events, and what each carries as keyword arguments.
EVENTS = {
    "lead_created": ("lead",),
    "lead_converted": ("lead",),
    "form_submitted": ("submission", "lead", "contact"),
    "unsubscribed": ("email",),
    "bounced": ("email",),
}

Listener = Callable[..., None]
_LISTENERS: dict[str, list[Listener]] = {event: [] for event in EVENTS}


def subscribe(event: str, listener: Listener) -> Listener:
    """Call `listener(**details)` whenever `event` happens."""
    if listener not in _LISTENERS[event]:
        _LISTENERS[event].append(listener)
    return listener


def unsubscribe(event: str, listener: Listener) -> None:
    if listener in _LISTENERS[event]:
        _LISTENERS[event].remove(listener)


def emit(event: str, **details) -> None:
    """Tell every listener of `event` that it happened."""
    if set(details) != set(EVENTS[event]):
        raise TypeError(f"{event} carries {', '.join(EVENTS[event])}")
    for listener in list(_LISTENERS[event]):
        listener(**details)
