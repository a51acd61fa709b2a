"""HTTP dates (RFC 9110 §5.6.7): formatting, parsing, and the current date cached per second."""

from __future__ import annotations

import time
from datetime import timezone
from email.utils import formatdate, parsedate_to_datetime
from typing import Optional

_now = [0, ""]  # (second, its IMF-fixdate): Date is the same for a whole second


def format_http_date(seconds: float) -> str:
    """An IMF-fixdate such as 'Sun, 06 Nov 1994 08:49:37 GMT'."""
    return formatdate(int(seconds), usegmt=True)


def http_date_now() -> str:
    """The Date header value for a response sent now, computed at most once a second."""
    now = int(time.time())
    if _now[0] != now:
        _now[:] = [now, format_http_date(now)]
    return _now[1]


def parse_http_date(value: Optional[str]) -> Optional[int]:
    """An HTTP-date as Unix seconds; None if missing or invalid (then it's ignored)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # "-0000": UTC per RFC 5322
    return int(parsed.timestamp())
