"""The eventsourcing Application: every command method (the unit of work) and reads by id.

Commands live in roadmap_svc/commands/, one module per part of the domain; this class
composes them and pins the name that names the event table and tracking keys.
"""

from __future__ import annotations

from roadmap_svc.commands.assignments import AssignmentCommands
from roadmap_svc.commands.external_refs import ExternalRefCommands
from roadmap_svc.commands.initiatives import DecisionInput
from roadmap_svc.commands.milestones import MilestoneCommands
from roadmap_svc.commands.teams import TeamCommands
from roadmap_svc.commands.unit_of_work import CommandResult, Outcome

APPLICATION_NAME = "roadmap"  # names the event table (roadmap_events) and tracking keys: pinned

__all__ = ["APPLICATION_NAME", "CommandResult", "DecisionInput", "Outcome", "RoadmapApplication"]


class RoadmapApplication(MilestoneCommands, AssignmentCommands, ExternalRefCommands, TeamCommands):
    name = APPLICATION_NAME
