"""The eventsourcing Application: every command method (the unit of work) and reads by id.

Commands live in roadmap_svc/commands/, one module per part of the domain; this class
composes them and pins the name that names the event table and tracking keys.
"""

from __future__ import annotations

from roadmap_svc.commands.assignments import AssignmentCommands
from roadmap_svc.commands.baselines import BaselineCommands
from roadmap_svc.commands.external_refs import ExternalRefCommands
from roadmap_svc.commands.initiatives import DecisionInput
from roadmap_svc.commands.metrics import MetricCommands
from roadmap_svc.commands.milestones import MilestoneCommands
from roadmap_svc.commands.teams import TeamCommands
from roadmap_svc.commands.unit_of_work import Work, Written
from roadmap_svc.storage.eventstore import APPLICATION_NAME

__all__ = ["APPLICATION_NAME", "DecisionInput", "RoadmapApplication", "Work", "Written"]


class RoadmapApplication(
    MilestoneCommands,
    AssignmentCommands,
    MetricCommands,
    ExternalRefCommands,
    TeamCommands,
    BaselineCommands,
):
    name = APPLICATION_NAME
