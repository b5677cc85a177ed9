"""cascades.yaml: the model (`model`), loading and validation with positions (`load`), the JSON Schema
(`schema`), `{{ }}` templating, `quartz validate` and the DAG diff that config-check shows.

The model and `load` are re-exported here: `from quartz.config import Config, load`.
"""

from quartz.config.load import load, loads
from quartz.config.model import (
    DEFAULT_CORRELATION_INPUT,
    MAX_EVENT_TYPE,
    MAX_PAYLOAD_KEYS,
    MAX_WORKFLOW_INPUTS,
    Cascade,
    Config,
    ConfigError,
    Ingest,
    Param,
    Problem,
    Project,
    Settings,
    Stage,
    Trigger,
    parse_duration,
)

__all__ = [
    "DEFAULT_CORRELATION_INPUT", "MAX_EVENT_TYPE", "MAX_PAYLOAD_KEYS", "MAX_WORKFLOW_INPUTS", "Cascade", "Config",
    "ConfigError", "Ingest", "Param", "Problem", "Project", "Settings", "Stage", "Trigger", "load", "loads",
    "parse_duration",
]
