"""The chain's canonical bytes: RFC 8785, as the auditor's script computes them with the
rfc8785 package, whichever encoder the service takes for an event."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import msgspec
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from roadmap_svc.audit.chain import canonical_event

_BMP_TEXT = st.text(st.characters(max_codepoint=0xFFFF, codec="utf-8"))
_SAFE_INT = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)  # RFC 8785's domain
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | _SAFE_INT
    | _BMP_TEXT
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON)
def test_canonical_bytes_are_rfc_8785_for_any_json(data: Any) -> None:
    aggregate_id = uuid4()
    state = msgspec.json.encode(data)
    expected = rfc8785.dumps(
        {
            "aggregate_id": str(aggregate_id),
            "data": msgspec.json.decode(state),
            "topic": "t",
            "version": 3,
        }
    )
    assert canonical_event(aggregate_id, 3, "t", state) == expected
