"""The API's JSON renderer: DRF's output, written by orjson.

A batch answer of 1,000 per-item results took about 20 ms to encode with the standard library
(10 % of a batch's Python time); orjson writes the same document in a few. Anything orjson cannot
write the way DRF would (pretty printing on request, integers beyond 64 bits, a type it does not
know and DRF's encoder refuses) is handed to DRF's own renderer, so the bytes never depend on
which path wrote them except for insignificant float spelling."""

from __future__ import annotations

import math
from typing import Any

import orjson
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import encoders

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
# DRF's own spelling of datetimes, Decimal, UUID and lazy text.
_DRF_DEFAULT = encoders.JSONEncoder().default


def _default(value: Any) -> Any:
    out = _DRF_DEFAULT(value)
    if isinstance(out, float) and not math.isfinite(out):
        raise TypeError("not a finite number")  # orjson would write null; DRF refuses, as it should
    return out


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                out = orjson.dumps(data, default=_default, option=_OPTIONS)
            except TypeError:  # orjson.JSONEncodeError is one
                pass
            else:
                # As DRF does: these two are valid JSON but end a JavaScript string literal.
                if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
                    out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                        b"\xe2\x80\xa9", b"\\u2029"
                    )
                return out
        return super().render(data, accepted_media_type, renderer_context)


class JSONAlwaysNegotiation(DefaultContentNegotiation):
    """The API speaks JSON only, and problem documents as application/problem+json: a client
    whose Accept names neither (`Accept: application/problem+json` alone, `text/html`) gets
    JSON rather than a 406 that hides the answer or the error it asked about."""

    def filter_renderers(self, renderers: Any, format: str) -> Any:
        # A `format` query parameter that no renderer of the view writes (`?format=xml`) is a
        # parameter the API does not know, ignored as the others are: not a 404 for a path that
        # exists. The OpenAPI document keeps `?format=json`.
        return [renderer for renderer in renderers if renderer.format == format] or renderers

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]
            return renderer, renderer.media_type
