"""JSON Schema of cascades.yaml: the one list of allowed keys and value shapes.

`quartz validate` checks structure with it (and suggests the nearest key for a
misspelt one); `quartz schema` writes it out so editors can complete the file.
"""

from __future__ import annotations

from quartz.config import families as families_config
from quartz.config import nightly
from quartz.config.model import NOTIFY_EVENTS
from quartz.config.notify import EMAIL_CHANNEL
from quartz.github import rows

DURATION_PATTERN = r"^([0-9]+[smhd])+$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
REPO_PATTERN = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"
CATEGORIES = ["core", "1p_downstream", "3p_downstream"]
CONCLUSIONS = [*rows.CONCLUSIONS, "any"]  # what a trigger may ask for

_duration = {"type": "string", "pattern": DURATION_PATTERN, "description": "e.g. 45m, 6h, 1h30m, 2d"}
_string_map = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
_name_list = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}

PROJECT = {
    "type": "object",
    "description": "A repository whose GitHub Actions runs Quartz watches.",
    "required": ["repo", "category"],
    "additionalProperties": False,
    "properties": {
        "repo": {"type": "string", "pattern": REPO_PATTERN, "description": "owner/name"},
        "category": {"enum": CATEGORIES},
        "workflows": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "branches": _name_list,
        "default_branch": {"type": "string"},
        "display_name": {"type": "string"},
        "test_reports": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200},
                         "uniqueItems": True,
                         "description": "glob patterns on artifact names whose JUnit reports are read; "
                                        "[] reads none (default: test-reports*, *junit*)"},
        "family_pattern": families_config.PATTERN_SCHEMA,
    },
}

def _jobs(description: str) -> dict:
    """A `jobs:` list of a trigger or a stage: glob patterns on the names of a run's jobs."""
    return {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200}, "minItems": 1,
            "uniqueItems": True, "description": description}


TRIGGER = {
    "type": "object",
    "description": "The upstream run whose completion starts a cascade run (or a nightly's leaf: `nightly`).",
    "if": {"required": ["nightly"]}, "else": {"required": ["project", "workflow"]},
    "additionalProperties": False,
    "properties": {
        "project": {"type": "string"},
        "workflow": {"type": "string"},
        "branch": {"type": "string"},
        "event": {"type": "string"},
        "conclusion": {"enum": CONCLUSIONS},
        "jobs": _jobs("Glob patterns on job names (e.g. 'build*'): the cascade starts once these jobs of the run "
                      "succeeded, while the rest of the run still goes on."),
        "nightly": nightly.SCHEMA,
    },
}

PARAM = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "default": {"type": ["string", "number", "boolean"]},
        "required": {"type": "boolean"},
        "choices": {"type": "array", "items": {"type": "string"}},
    },
}

STAGE = {
    "type": "object",
    "description": "One downstream step, started by workflow_dispatch or repository_dispatch.",
    "additionalProperties": False,
    "properties": {
        "project": {"type": "string", "description": "defaults to the stage name"},
        "workflow": {"type": "string", "description": "workflow file to start with workflow_dispatch"},
        "ref": {"type": "string"},
        "inputs": _string_map,
        "repository_dispatch": {"type": "string", "description": "event_type to send instead"},
        "client_payload": {"type": "object"},
        "depends_on": _name_list,
        "optional": {"type": "boolean"},
        "timeout": _duration,
        "dispatch_timeout": _duration,
        "correlation_input": {"type": "string"},
        "report_status": {"type": "boolean"},
        "jobs": _jobs("Glob patterns on job names: the stages that depend on this one start once these jobs of its "
                      "run succeeded, while the rest of the run still goes on."),
        "needs_families": nightly.STAGE_FAMILIES,
    },
}

CULPRIT = {
    "type": "object",
    "description": "Probe a failed stage with last good upstream versions, one changed upstream at a time.",
    "additionalProperties": False,
    "properties": {
        "stages": {**_name_list, "description": "stages to probe (default: every required stage)"},
        "max_probes": {"type": "integer", "minimum": 1, "maximum": 20,
                       "description": "dispatches per failed cascade run (default 4)"},
        "max_age": {**_duration, "description": "a last good run older than this is not used (default 7d)"},
    },
}

CASCADE = {
    "type": "object",
    "required": ["stages"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "trigger": TRIGGER,
        "params": {"type": "object", "additionalProperties": PARAM},
        "report_status": {"type": "boolean"},
        "stages": {"type": "object", "minProperties": 1, "additionalProperties": STAGE},
        "culprit": CULPRIT,
    },
}

SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string"},
        "schedule_interval": _duration,
        "backfill_days": {"type": "integer", "minimum": 1, "maximum": 400},
        "dispatch_timeout": _duration,
        "run_timeout": _duration,
        "site_url": {"type": "string"},
        # GitHub re-runs a run up to 30 days old: an archived run is never re-run.
        "hot_days": {"type": "integer", "minimum": 31, "maximum": 3650},
    },
}

INGEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "allowed_repos": {"type": "array", "items": {"type": "string", "pattern": REPO_PATTERN}},
        "allowed_senders": {"type": "array", "items": {"type": "string"}},
    },
}

FAILURE_RULE = {
    "type": "object",
    "description": "A failure-line rule: extends quartz/failures/rules.yaml, or replaces a shipped rule by name.",
    "required": ["name", "pattern", "priority"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "pattern": {"type": "string", "description": "a Python regular expression, searched in one log line"},
        "priority": {"type": "integer", "minimum": 0, "maximum": 10000, "description": "higher wins within a tier"},
        "tier": {"enum": ["cause", "annotation", "test", "error", "consequence"],
                 "description": "what kind of line it finds (default cause; a replaced rule keeps its tier)"},
        "flags": {"type": "array", "items": {"enum": ["ignorecase"]}},
    },
}

NOTIFY = {
    "type": "object",
    "description": "Tell people when something changes state: named channels, and rules mapping events to them.",
    "additionalProperties": False,
    "properties": {
        "channels": {"type": "object", "additionalProperties": {
            "type": "object",
            "required": ["type"],
            "additionalProperties": False,
            "properties": {
                "type": {"enum": ["slack", "github_issues", "email"]},
                "webhook_env": {"type": "string",
                                "description": "slack: NAME of the environment variable holding the webhook URL"},
                "repo": {"type": "string", "pattern": REPO_PATTERN, "description": "github_issues: owner/name"},
                "labels": _name_list,
                **EMAIL_CHANNEL,
            },
        }},
        "rules": {"type": "array", "items": {
            "type": "object",
            "required": ["events", "channels"],
            "additionalProperties": False,
            "properties": {
                "events": {"type": "array", "minItems": 1, "uniqueItems": True,
                           "items": {"enum": list(NOTIFY_EVENTS)}},
                "channels": {**_name_list, "minItems": 1},
                "projects": _name_list,
                "cascades": _name_list,
                "after_failures": {"type": "integer", "minimum": 1, "maximum": 100},
                "stuck_after": _duration,
            },
        }},
    },
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://rocm.github.io/quartz/schemas/cascades.schema.json",
    "title": "Quartz cascades.yaml",
    "type": "object",
    "required": ["projects"],
    "additionalProperties": False,
    "properties": {
        "settings": SETTINGS,
        "ingest": INGEST,
        "projects": {"type": "object", "minProperties": 1, "additionalProperties": PROJECT},
        "releases": {
            "type": "object",
            "description": "Release name -> {project: branch}.",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "cascades": {"type": "object", "additionalProperties": CASCADE},
        "failure_rules": {"type": "array", "items": FAILURE_RULE},
        "notify": NOTIFY,
        "families": families_config.SCHEMA,
    },
}
