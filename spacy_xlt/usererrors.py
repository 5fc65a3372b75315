"""Errors that spaCy's own command line shows as a message, not as a traceback.

``python -m spacy train config.cfg`` runs through typer (spaCy's ``app``): an exception from
a corpus reader goes up through ``spacy.training.initialize.init_nlp`` (where the readers are
created) or the training loop (where they are iterated, which re-raises what it caught)
to typer's command loop. That loop prints a *click exception* as one ``Error`` message and
exits with its ``exit_code``; any other exception ends in a full traceback. So a reader's
coded ``[XLTE…]`` error reaches the user as a message when it is an :class:`XLTUserError`,
which is both an :class:`~spacy_xlt.errors.XLTError` (a ``ValueError``: library code that
catches those is unaffected) and the click exception class of the typer that is installed.

:func:`message_reader` (a decorator for a registered reader) and :func:`shown_as_message`
(a context manager) turn the ``XLTError`` raised while a reader is created or while it yields
its examples into an ``XLTUserError`` with the same message. Nothing else changes: no hook is
installed, and outside spaCy's command line the error is the same ``XLTError`` as before.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator

from .errors import XLTError


def _click_exception() -> type:
    """The click exception class that the installed typer's command loop catches: click's
    own, or the copy of click that newer typers carry (found through ``typer.BadParameter``,
    a public name, whose bases include it)."""
    try:
        import typer
    except ImportError:  # pragma: no cover (spaCy requires typer)
        return Exception
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException":
            return cls
    return Exception  # pragma: no cover


_ClickException: Any = _click_exception()


class XLTUserError(XLTError, _ClickException):
    """An ``XLTError`` that typer (and so spaCy's command line) prints as an ``Error``
    message, exit status 1, instead of a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        XLTError.__init__(self, message)
        self.message = message
        #: what click's ``show`` reads (``None``: colour where the terminal has it)
        self.show_color = None

    def __str__(self) -> str:
        return self.message

    def format_message(self) -> str:
        return self.message

    def __reduce__(self):  # pickles like XLTError: by its message
        return (type(self), (self.message,))


@contextlib.contextmanager
def shown_as_message() -> Iterator[None]:
    """Re-raise an ``XLTError`` from the block as an :class:`XLTUserError` (same message,
    the original as its cause); other exceptions pass unchanged."""
    try:
        yield
    except XLTUserError:
        raise
    except XLTError as err:
        raise XLTUserError(str(err)) from err


class _MessageReader:
    """A reader (``nlp -> Iterator[Example]``) whose ``XLTError`` while iterating is an
    :class:`XLTUserError`; everything else is the wrapped reader's."""

    def __init__(self, reader: Callable) -> None:
        self.reader = reader

    def __call__(self, nlp) -> Iterator[Any]:
        with shown_as_message():
            yield from self.reader(nlp)

    def __getattr__(self, name: str) -> Any:
        if name == "reader":  # not set yet (while unpickling)
            raise AttributeError(name)
        return getattr(self.reader, name)


def message_reader(create: Callable[..., Callable]) -> Callable[..., Callable]:
    """Decorate a registered reader function (under ``@registry.readers(...)``): the
    ``XLTError`` it raises while creating the reader (a missing or malformed file checked
    there) or while the reader yields examples is shown by ``spacy train`` as a message."""

    @functools.wraps(create)
    def wrapped(*args: Any, **kwargs: Any) -> Callable:
        with shown_as_message():
            reader = create(*args, **kwargs)
        return _MessageReader(reader)

    return wrapped
