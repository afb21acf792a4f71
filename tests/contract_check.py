"""Every response the suite sees, checked against the OpenAPI document the app serves: its
status, content type, required headers and body as the operation documents them. The test
clients install it (`conforming`), so a handler that answers something undocumented fails the
test that made it do so, at that request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs
import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from roadmap_svc.api.contract import document

_UNCHECKED_MEDIA = {"text/event-stream"}  # endless: tests/api/test_stream.py reads it


@dataclass
class Contract:
    spec: dict[str, Any]
    _paths: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    _validators: dict[tuple[str, str, str, str], Any] = field(default_factory=dict)
    checked: int = 0

    def __post_init__(self) -> None:
        for template in self.spec["paths"]:
            literal = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            self._paths.append(
                (re.compile("^" + re.sub(r"{\w+}", "[^/]+", literal) + "$"), template)
            )

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self._paths:
            if pattern.match(path):
                found = self.spec["paths"][template].get(method.lower())
                return (template, found) if found else None
        return None

    def check(self, response: httpx.Response) -> None:
        request = response.request
        found = self.operation(request.method, request.url.path)
        if found is None:
            return  # not an operation: OPTIONS, the schema's own pages, unknown routes
        template, operation = found
        where = f"{request.method} {request.url.path} ({operation['operationId']})"
        answers = operation["responses"]
        status = str(response.status_code)
        assert status in answers, f"{where}: {status} is not documented ({sorted(answers)})"
        documented = answers[status]
        for name, header in (documented.get("headers") or {}).items():
            if header.get("required"):
                assert name in response.headers, f"{where}: {status} lacks the header {name}"
        content = documented.get("content") or {}
        media = response.headers.get("content-type", "").partition(";")[0].strip()
        if not content:
            return
        assert media in content, (
            f"{where}: {status} {media!r} is not documented ({sorted(content)})"
        )
        if media in _UNCHECKED_MEDIA or "json" not in media:
            return
        body = msgspec.json.decode(response.content)
        validator = self._validator(template, request.method, status, media, content[media])
        errors = [str(e) for e in validator.iter_errors(body)]
        assert not errors, f"{where}: {status} body does not match the document: {errors[:3]}"
        self.checked += 1

    def _validator(
        self, template: str, method: str, status: str, media: str, content: dict[str, Any]
    ) -> Any:
        key = (template, method, status, media)
        if key not in self._validators:
            schema = {**content["schema"], "components": self.spec["components"]}
            self._validators[key] = jsonschema_rs.Draft202012Validator(schema)
        return self._validators[key]


_contracts: dict[int, Contract] = {}


def contract_of(app: Litestar) -> Contract:
    # One per app object: its document is built once.
    if id(app) not in _contracts:
        _contracts[id(app)] = Contract(msgspec.json.decode(msgspec.json.encode(document(app))))
    return _contracts[id(app)]


def conforming(client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    """The client, with every response it receives checked against the app's document."""
    contract = contract_of(client.app)

    async def check(response: httpx.Response) -> None:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return
        await response.aread()
        contract.check(response)

    client.event_hooks["response"].append(check)
    return client
