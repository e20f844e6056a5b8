"""Python values to the C layer's types. Only what C cannot see is checked here (the C layer checks the rest):
a ``str`` where a string is expected, no NUL inside it (C would cut the string there), encodable as UTF-8, and
numbers that fit a C ``int`` (ctypes would wrap them silently)."""

from __future__ import annotations

import ctypes
import json
import math
from typing import Any, Optional

from ._errors import InvalidArgument, from_last_error
from ._library import library

INT_MAX = 2**31 - 1


def text(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a str, not {type(value).__name__}")
    if "\x00" in value:
        raise InvalidArgument(f"{name} holds a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(f"{name} is not valid Unicode (a lone surrogate)") from None


def optional_text(value: Any, name: str) -> Optional[bytes]:
    return None if value is None else text(value, name)


def json_object(values: dict[str, Any], name: str) -> bytes:
    """The non-None entries as a JSON object (``NaN`` refused: it is not JSON)."""
    present = {key: value for key, value in values.items() if value is not None}
    for key, value in present.items():
        if isinstance(value, str):
            text(value, key)
    try:
        return json.dumps(present, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as error:
        raise InvalidArgument(f"{name}: {error}") from None


def integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name} must be an int, not {type(value).__name__}")
    return value


def milliseconds(seconds: Any, name: str) -> int:
    """Seconds (int or float, > 0) as whole milliseconds that fit a C int; None stays 0 (the library's default)."""
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidArgument(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    if (isinstance(seconds, float) and not math.isfinite(seconds)) or seconds <= 0:
        raise InvalidArgument(f"{name} must be a positive, finite number of seconds")
    # Compared before converting: 1e308 * 1000 is infinite, and an int past 1e308 is no float at all.
    if seconds > INT_MAX / 1000:
        raise InvalidArgument(f"{name} is too long (at most a day)")
    return math.ceil(seconds * 1000)


def pacing(value: Any) -> tuple[int, int]:
    """``pacing_requests``, ``pacing_window_seconds`` of the C options; None is (0, 0), the default. A str, or a
    ``(requests, seconds)`` pair written as one, is read by the library's one pacing syntax
    (``cfcerts_pacing_parse``), so its bounds and message are those of every face."""
    if value is None:
        return 0, 0
    if isinstance(value, tuple) and len(value) == 2:
        value = f"{integer(value[0], 'pacing requests')}/{integer(value[1], 'pacing seconds')}"
    if not isinstance(value, str):
        raise InvalidArgument('pacing must be "off", "REQUESTS/SECONDS" or a (requests, seconds) pair, '
                              f"not {type(value).__name__}")
    lib = library()
    requests, seconds = ctypes.c_int(), ctypes.c_int()
    code = lib.cfcerts_pacing_parse(ctypes.byref(requests), ctypes.byref(seconds), text(value, "pacing"))
    if code != 0:
        raise from_last_error(lib, code)
    return requests.value, seconds.value
