"""Stakeholders of an initiative: each consulted separately, each with a stance."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Stance(StrEnum):
    ENDORSES = "endorses"
    HAS_CONCERNS = "has_concerns"
    OBJECTS = "objects"


class Stakeholder(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: str | None = None
    stance: Stance | None = None
    note: str | None = None


def stakeholder_key(name: str) -> str:
    # Names are matched case-insensitively: "Ada" and "ada" are one person.
    return name.strip().casefold()
