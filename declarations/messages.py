"""Generated text as a message identifier plus parameters, rendered in the reader's language.

The pure engines (risk rules, data-quality checks, watchlist screening) explain what they found
in sentences with numbers in them. To show those sentences in French as well as English without
bringing Django into the engines, an engine builds a :class:`Message`: the English template (the
gettext msgid, with ``%(name)s`` placeholders) and its parameters. A ``Message`` *is* the English
string (a ``str`` subclass), so everything that stored or compared the English text keeps
working; it also remembers its identifier and parameters, which are stored beside the text
(:meth:`Message.as_json`) and turned into the reader's language at display time by
:func:`render` with any gettext function (``declarations.generated_text`` passes Django's).

Parameters are strings, numbers, nested messages or :class:`Seq` lists (joined with a
translatable separator). Values quoted from the declaration (descriptions, names, codes) are
passed through untouched: they are data, not text to translate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Gettext = Callable[[str], str]


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Seq:
    """Several parameter values shown one after the other, separated by ``sep`` (translated)."""

    items: tuple[Any, ...]
    sep: str = "; "

    def __init__(self, items: Iterable[Any], sep: str = "; ") -> None:
        object.__setattr__(self, "items", tuple(items))
        object.__setattr__(self, "sep", sep)


class Message(str):
    """English text that remembers the message identifier and parameters it was built from."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        text = _render(msgid, params, _identity)
        made = super().__new__(cls, text)
        made.msgid = msgid
        made.params = params
        return made

    def as_json(self) -> dict[str, Any]:
        """The identifier and parameters as JSON, to store beside the English text."""
        return {"id": self.msgid, "params": {k: _to_json(v) for k, v in self.params.items()}}

    def __reduce__(self):  # pickling (Celery results, caches) keeps the message
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)


def _to_json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"msg": value.as_json()}
    if isinstance(value, Seq):
        return {"seq": [_to_json(v) for v in value.items], "sep": value.sep}
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _from_json(value: Any, gettext: Gettext) -> Any:
    if isinstance(value, Mapping):
        if "msg" in value:
            return render(value["msg"], gettext)
        if "seq" in value:
            sep = gettext(value.get("sep", "; "))
            return sep.join(str(_from_json(v, gettext)) for v in value["seq"])
    return value


def _value(value: Any, gettext: Gettext) -> Any:
    if isinstance(value, Message):
        return _render(value.msgid, value.params, gettext)
    if isinstance(value, Seq):
        return gettext(value.sep).join(str(_value(v, gettext)) for v in value.items)
    return value


def _render(msgid: str, params: Mapping[str, Any], gettext: Gettext) -> str:
    template = gettext(msgid)
    if not params:
        return template
    values = {k: _value(v, gettext) for k, v in params.items()}
    try:
        return template % values
    except (KeyError, ValueError, TypeError):  # a broken translation must not hide the finding
        return msgid % values


def render(stored: Mapping[str, Any] | Message, gettext: Gettext = _identity) -> str:
    """A message (or its stored JSON form) in the language of ``gettext``."""
    if isinstance(stored, Message):
        return _render(stored.msgid, stored.params, gettext)
    msgid = str(stored.get("id", ""))
    params = stored.get("params") or {}
    template = gettext(msgid)
    if not params:
        return template
    values = {k: _from_json(v, gettext) for k, v in params.items()}
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return msgid % values


def stored(value: Any) -> dict[str, Any] | None:
    """What to store beside an engine's text: the message JSON, or None for plain text."""
    return value.as_json() if isinstance(value, Message) else None


def with_message(data: Mapping[str, Any] | None, text: Any) -> dict[str, Any]:
    """``data`` plus the message behind ``text`` under ``"message"`` (when it is a Message)."""
    out = dict(data or {})
    message = stored(text)
    if message is not None:
        out["message"] = message
    return out


def csv_reason(reason: str) -> Message:
    """Why the csv module could not read a row (its English ``csv.Error`` text), as a message of
    ours in the reader's language: the causes an uploaded file is known to give by name (a cell
    over the field limit, a line break in a cell without quotes), any other as a row that cannot
    be read as CSV. The module's own text is not shown: it is English and names its internals."""
    found = re.fullmatch(r"field larger than field limit \((\d+)\)", reason)
    if found is not None:
        return Message("field larger than field limit (%(limit)s)", limit=int(found[1]))
    if reason.startswith("new-line character seen in unquoted field"):
        # A lone carriage return (a cell pasted from a spreadsheet, an old Mac line end).
        return Message("a line break (carriage return) inside a cell that is not in double quotes")
    if reason == "line contains NUL":
        return Message("the line contains a NUL character: is the file text?")
    if reason == "unexpected end of data":
        return Message("the file ends inside a cell opened by a double quote that is not closed")
    return Message(
        "this line cannot be read as CSV (check its double quotes, separators and line breaks)"
    )
