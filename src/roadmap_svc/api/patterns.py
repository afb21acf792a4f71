"""The regular expressions of the API's schemas, and what each means to a client: a value
that breaks one is answered with the meaning, not the expression."""

from __future__ import annotations

from roadmap_svc.domain.quarter import PATTERN as QUARTER_PATTERN
from roadmap_svc.domain.text import LINE_PATTERN, PROSE_PATTERN

# RFC 3339's shape (the calendar is checked when parsed: 2025-02-30 is refused with 422).
RFC3339_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Both headers may be sent empty, which counts as not sent.
OCCURRED_AT_PATTERN = "^$|" + RFC3339_PATTERN
# RFC 9110's If-Match: `*` or entity tags (a weak or unknown one is well-formed, and fails: 412).
IF_MATCH_PATTERN = r'^(|\*|(W/)?"[!#-~]*"(\s*,\s*(W/)?"[!#-~]*")*)$'
# A list cursor: ten base-64 digits hold any bigint position (api/cursors.py).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,10}$"

# The request headers the API reads, by the names of their parameters (errors name the header).
OCCURRED_AT_HEADER = "Roadmap-Occurred-At"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
HEADERS = {
    "occurred_at": OCCURRED_AT_HEADER,
    "if_match": "If-Match",
    "idempotency_key": IDEMPOTENCY_KEY_HEADER,
}
# Idempotency-Key: visible ASCII, e.g. a UUID or what the client's library sends.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"

MEANINGS = {
    LINE_PATTERN: "must be one line without control characters (no tabs or line breaks) or "
    "bidi overrides",
    PROSE_PATTERN: "must not contain control characters (tabs and line breaks are allowed)",
    QUARTER_PATTERN: "must be a quarter like 2026-Q3, in the years 2000 to 2100",
    OCCURRED_AT_PATTERN: "must be an RFC 3339 time with an offset, e.g. 2025-03-01T09:30:00Z",
    RFC3339_PATTERN: "must be an RFC 3339 time with an offset, e.g. 2025-03-01T09:30:00Z",
    IDEMPOTENCY_KEY_PATTERN: "must be 1 to 255 visible ASCII characters, e.g. a UUID",
    CURSOR_PATTERN: "must be the `next_cursor` of a page",
    IF_MATCH_PATTERN: 'must be an ETag as this service sends them, e.g. "3"',
}
