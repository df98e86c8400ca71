"""WebDriver protocol errors raised by the simulator.

Each error carries the W3C error code and HTTP status that the client maps to an
exception class (``NoSuchElementException``, ``StaleElementReferenceException``, ...), so
the harness sees from the simulator exactly the exceptions a real Appium server would
raise. Anything the simulator raises that is not a ``WebDriverError`` is reported as
``unknown error`` (HTTP 500) by the server.
"""

from __future__ import annotations

from typing import ClassVar


class WebDriverError(Exception):
    """A protocol error: ``error`` is the W3C code, ``status`` the HTTP status."""

    error: ClassVar[str] = "unknown error"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, object]:
        """The body of the error response, ``{"value": {...}}`` in W3C shape."""
        return {"value": {"error": self.error, "message": self.message, "stacktrace": ""}}


class UnknownError(WebDriverError):
    """The command failed inside the device (HTTP 500), e.g. an app that is not installed."""


class InvalidArgument(WebDriverError):
    """The request body is malformed or a parameter has the wrong type."""

    error = "invalid argument"
    status = 400


class InvalidSelector(WebDriverError):
    """An XPath or UiSelector expression that cannot be evaluated."""

    error = "invalid selector"
    status = 400


class InvalidElementState(WebDriverError):
    """The element cannot take the command, e.g. typing into a button."""

    error = "invalid element state"
    status = 400


class InvalidSessionId(WebDriverError):
    """No session with that id exists (never created, or deleted)."""

    error = "invalid session id"
    status = 404


class MoveTargetOutOfBounds(WebDriverError):
    """A pointer action was sent to a point outside the screen."""

    error = "move target out of bounds"
    status = 500


class NoSuchElement(WebDriverError):
    """No element on the current screen matches the locator."""

    error = "no such element"
    status = 404


class StaleElementReference(WebDriverError):
    """The element was found on a screen that is no longer shown."""

    error = "stale element reference"
    status = 404


class UnknownCommand(WebDriverError):
    """The endpoint or the ``mobile:`` script is not implemented by the simulator."""

    error = "unknown command"
    status = 404


class SessionNotCreated(WebDriverError):
    """The capabilities cannot start a session (HTTP 500, as W3C and Appium send it)."""

    error = "session not created"
    status = 500
