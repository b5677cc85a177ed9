"""cascades.yaml → validated, immutable configuration.

Validation collects every problem at once, each tied to file:line:column and
the key path, so a pull request shows all of them in one CI run.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from types import MappingProxyType

import jsonschema

from quartz.config import culprit as culprit_config
from quartz.config import families as families_config
from quartz.config import nightly as nightly_config
from quartz.config import notify as notify_config
from quartz.config import templating, yamlpos
from quartz.config.model import (
    DEFAULT_CORRELATION_INPUT,
    DEFAULT_TEST_REPORTS,
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
from quartz.config.schema import NAME_PATTERN, SCHEMA
from quartz.failures import RuleError, load_rules


def load(path: str | Path) -> Config:
    """Read and validate a cascades.yaml; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 1, 1, (), "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), 1, 1, (), f"not UTF-8 text: {exc.reason}")]) from None
    return loads(text, str(path))


def loads(text: str, filename: str = "cascades.yaml") -> Config:
    return _Validator(text, filename).run()


class _Validator:
    def __init__(self, text: str, filename: str):
        self.text = text
        self.file = filename
        self.problems: list[Problem] = []
        self.doc: yamlpos.Located | None = None

    # -- reporting

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        where = self.doc.where(path, key=key) if self.doc else yamlpos.Position(1, 1)
        self.problems.append(Problem(self.file, where.line, where.column, tuple(path), message))

    def at(self, path: tuple) -> str:
        """file:line of a value, for messages that point back into cascades.yaml."""
        return f"{self.file}:{self.doc.where(path).line}" if self.doc else self.file

    def fail_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

    # -- the passes

    def run(self) -> Config:
        if not self.text.strip() or all(
            not line.strip() or line.lstrip().startswith("#") for line in self.text.splitlines()
        ):
            raise ConfigError([Problem(self.file, 1, 1, (), "file is empty; expected a mapping with 'projects'")])
        try:
            self.doc = yamlpos.load(self.text)
        except yamlpos.YamlSyntaxError as exc:
            raise ConfigError(
                [Problem(self.file, exc.position.line, exc.position.column, (), exc.message)]
            ) from None
        for where, path, message in self.doc.problems:
            self.problems.append(Problem(self.file, where.line, where.column, tuple(path), message))
        data = self.doc.value
        if not isinstance(data, dict):
            kind = "nothing" if data is None else type(data).__name__
            self.error((), f"top level must be a mapping with 'projects', found {kind}")
            self.fail_if_any()
        self.check_schema(data)
        self.check_semantics(data)
        self.check_failure_rules(data.get("failure_rules"))
        self.fail_if_any()
        return self.build(data)

    def check_schema(self, data: dict) -> None:
        validator = jsonschema.Draft202012Validator(SCHEMA)
        for err in validator.iter_errors(data):
            path = tuple(err.absolute_path)
            if err.validator == "additionalProperties":
                allowed = sorted(err.schema.get("properties", {}))
                for key in sorted(set(err.instance) - set(allowed)):
                    message = f"unknown key '{key}'"
                    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                    if close:
                        message += f"; did you mean '{close[0]}'?"
                    elif allowed:
                        message += f"; allowed keys: {', '.join(allowed)}"
                    self.error(path + (key,), message, key=True)
            elif err.validator == "pattern" and "pattern" in err.schema and "[smhd]" in err.schema["pattern"]:
                self.error(path, f"bad duration {err.instance!r}; write e.g. 45m, 6h, 1h30m or 2d")
            elif err.validator == "pattern" and err.schema.get("pattern") == nightly_config.FAMILY_PATTERN:
                self.error(path, f"{err.instance!r} is not a GPU family name such as gfx94X-dcgpu or gfx1151")
            elif err.validator == "pattern" and "/" in err.schema.get("pattern", ""):
                self.error(path, f"repo {err.instance!r} is not in owner/name form")
            elif err.validator == "required":
                self.error(path, err.message.replace("property", "key"))
            elif err.validator == "enum":
                choices = ", ".join(str(c) for c in err.validator_value)
                self.error(path, f"{err.instance!r} is not one of: {choices}")
            elif err.validator == "type":
                self.error(path, f"expected {_type_words(err.validator_value)}, found {_kind(err.instance)}")
            else:
                self.error(path, err.message)

    def check_semantics(self, data: dict) -> None:
        projects = _mapping(data.get("projects"))
        releases = _mapping(data.get("releases"))
        for name in projects:
            self.check_name(("projects", name), name, "project")
        for release, branches in releases.items():
            for project in _mapping(branches):
                if project not in projects:
                    self.unknown(("releases", release, project), "project", project, projects, key=True)
        for name, cascade in _mapping(data.get("cascades")).items():
            self.check_name(("cascades", name), name, "cascade")
            try:
                self.check_cascade(name, cascade, projects, releases)
            except (AttributeError, TypeError, KeyError):
                # A section of the wrong shape: the schema pass has already said so.
                continue
        notify_config.check(self, data.get("notify"), projects, _mapping(data.get("cascades")))
        families_config.check(self, data.get("families"), projects)
        families_config.check_names_used(self, data.get("families"), _mapping(data.get("cascades")))

    def check_failure_rules(self, rules) -> None:
        """Compile the fleet's failure rules as sync will; each bad rule is one problem at its line."""
        seen: set = set()
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            name = rule.get("name") if isinstance(rule, dict) else None
            if isinstance(name, str) and name in seen:
                self.error(("failure_rules", index, "name"), f"rule {name!r} is defined twice")
            seen.add(name)
            if not isinstance(rule, dict) or not {"name", "pattern", "priority"} <= set(rule):
                continue  # the schema pass has said what is missing
            try:
                load_rules([rule], origin=self.file)
            except RuleError as exc:
                on_pattern = isinstance(rule, dict) and "pattern" in rule and "pattern" in exc.reason
                self.error(("failure_rules", index) + (("pattern",) if on_pattern else ()), exc.reason)

    def check_name(self, path: tuple, name: str, what: str) -> None:
        if not re.match(NAME_PATTERN, name):
            self.error(path, f"{what} name '{name}' may use only letters, digits, '.', '_' and '-'", key=True)

    def unknown(self, path, what: str, name: str, known, *, key: bool = False) -> None:
        message = f"unknown {what} '{name}'"
        close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        elif known:
            message += f"; known: {', '.join(sorted(str(k) for k in known))}"
        self.error(path, message, key=key)

    def check_cascade(self, name: str, cascade: dict, projects: dict, releases: dict) -> None:
        base = ("cascades", name)
        stages: dict = cascade.get("stages") or {}
        trigger = cascade.get("trigger")
        nightly_config.check(self, base, trigger or {}, stages)
        if trigger and "nightly" not in trigger:
            self.check_run_trigger(base, trigger, projects)
        for stage_name, stage in stages.items():
            self.check_stage(base + ("stages", stage_name), stage_name, stage, stages, projects)
        self.check_cycles(base, stages)
        self.check_templates(name, cascade, projects, releases)
        culprit_config.check(self, name, cascade.get("culprit"), stages)

    def check_run_trigger(self, base: tuple, trigger: dict, projects: dict) -> None:
        project = trigger.get("project")
        if project not in projects:
            self.unknown(base + ("trigger", "project"), "project", project, projects)
        else:
            workflows = projects[project].get("workflows") or []
            if trigger.get("workflow") not in workflows:
                self.error(
                    base + ("trigger", "workflow"),
                    f"workflow '{trigger.get('workflow')}' is not listed in projects.{project}.workflows "
                    f"({', '.join(workflows) or 'none'}); Quartz only sees runs of listed workflows",
                )
        if trigger.get("jobs") and trigger.get("conclusion", "success") != "success":
            self.error(base + ("trigger", "conclusion"), "a trigger with `jobs` starts when those jobs "
                       "succeeded; leave `conclusion` out (or `success`)")

    def check_stage(self, path: tuple, stage_name: str, stage: dict, stages: dict, projects: dict) -> None:
        self.check_name(path, stage_name, "stage")
        project = stage.get("project", stage_name)
        if project not in projects:
            where = path + ("project",) if "project" in stage else path
            self.unknown(where, "project", project, projects, key="project" not in stage)
        has_workflow, has_event = "workflow" in stage, "repository_dispatch" in stage
        if has_workflow == has_event:
            self.error(path, "a stage needs exactly one of 'workflow' (workflow_dispatch) "
                             "or 'repository_dispatch' (an event type)", key=True)
        if has_event:
            self.check_event_stage(path, stage)
        if has_workflow:
            self.check_workflow_stage(path, stage)
        watched = ((projects.get(project) or {}).get("workflows") or []) if project in projects else []
        if "jobs" in stage and stage.get("workflow") not in watched:
            self.error(path + ("jobs",), f"'jobs' needs a workflow stage whose workflow is listed in "
                                         f"projects.{project}.workflows (sync reads its jobs)", key=True)
        for index, parent in enumerate(stage.get("depends_on") or []):
            if parent == stage_name:
                self.error(path + ("depends_on", index), f"stage '{stage_name}' depends on itself")
            elif parent not in stages:
                self.unknown(path + ("depends_on", index), "stage", parent, stages)

    def check_event_stage(self, path: tuple, stage: dict) -> None:
        event = stage["repository_dispatch"]
        if not 1 <= len(event) <= MAX_EVENT_TYPE:
            self.error(path + ("repository_dispatch",),
                       f"event type must be 1 to {MAX_EVENT_TYPE} characters, found {len(event)}")
        # Quartz adds one key of its own ('quartz') to every payload.
        payload = stage.get("client_payload") or {}
        if len(payload) + 1 > MAX_PAYLOAD_KEYS:
            self.error(path + ("client_payload",),
                       f"client_payload has {len(payload)} keys; GitHub allows {MAX_PAYLOAD_KEYS} "
                       f"top-level keys and Quartz adds 'quartz', so at most {MAX_PAYLOAD_KEYS - 1}")
        for key in ("inputs", "ref"):
            if key in stage:
                self.error(path + (key,), f"'{key}' applies to workflow stages only; "
                                          "use client_payload for repository_dispatch", key=True)

    def check_workflow_stage(self, path: tuple, stage: dict) -> None:
        inputs = stage.get("inputs") or {}
        # The correlation id travels as one more input.
        if len(inputs) + 1 > MAX_WORKFLOW_INPUTS:
            self.error(path + ("inputs",),
                       f"{len(inputs)} inputs plus Quartz's correlation input exceed GitHub's limit "
                       f"of {MAX_WORKFLOW_INPUTS} workflow_dispatch inputs")
        if "client_payload" in stage:
            self.error(path + ("client_payload",),
                       "'client_payload' applies to repository_dispatch stages only", key=True)

    def check_cycles(self, base: tuple, stages: dict) -> None:
        graph = {
            name: [p for p in (stage.get("depends_on") or []) if p in stages and p != name]
            for name, stage in stages.items()
        }
        state: dict[str, int] = {}  # 1 visiting, 2 done
        reported: set[frozenset] = set()

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            for parent in graph[node]:
                if state.get(parent) == 1:
                    cycle = trail[trail.index(parent):] + [parent]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        self.error(base + ("stages", node, "depends_on"),
                                   "dependency cycle: " + " -> ".join(cycle) + " (each depends on the next)")
                elif parent not in state:
                    visit(parent, trail + [parent])
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node, [node])

    def check_templates(self, name: str, cascade: dict, projects: dict, releases: dict) -> None:
        base = ("cascades", name)
        stages = cascade.get("stages") or {}
        params = cascade.get("params") or {}
        trigger = cascade.get("trigger") or {}
        for stage_name, stage in stages.items():
            reachable = _ancestors(stages, stage_name)
            if trigger.get("project"):
                reachable.add(trigger["project"])
            fields = {k: stage.get(k) for k in ("ref", "inputs", "client_payload") if k in stage}
            for sub, text in templating.strings_in(fields):
                where = base + ("stages", stage_name) + sub
                for hole in templating.holes(text):
                    problem = (nightly_config.template_problem(hole.split("."), "nightly" in trigger)
                               if hole.split(".")[0] == "nightly" and templating.PATH.match(hole)
                               else _template_problem(hole, reachable, params, projects, releases))
                    if problem:
                        self.error(where, f"template '{{{{ {hole} }}}}': {problem}")

    # -- building the immutable model

    def build(self, data: dict) -> Config:
        raw = data.get("settings") or {}
        settings = Settings(
            title=raw.get("title", Settings.title),
            schedule_interval_s=parse_duration(raw["schedule_interval"]) if "schedule_interval" in raw else 600,
            backfill_days=raw.get("backfill_days", 30),
            dispatch_timeout_s=parse_duration(raw["dispatch_timeout"]) if "dispatch_timeout" in raw else 1800,
            run_timeout_s=parse_duration(raw["run_timeout"]) if "run_timeout" in raw else 6 * 3600,
            site_url=raw.get("site_url", ""),
            hot_days=raw.get("hot_days", 35),
        )
        raw_ingest = data.get("ingest") or {}
        ingest = Ingest(
            allowed_repos=tuple(raw_ingest.get("allowed_repos", ())),
            allowed_senders=tuple(raw_ingest.get("allowed_senders", ())),
        )
        projects = {}
        for name, p in data["projects"].items():
            default_branch = p.get("default_branch", "main")
            projects[name] = Project(
                name=name,
                repo=p["repo"],
                category=p["category"],
                workflows=tuple(p.get("workflows", ())),
                branches=tuple(p.get("branches") or (default_branch,)),
                default_branch=default_branch,
                display_name=p.get("display_name", name),
                repo_at=self.at(("projects", name, "repo")),
                workflows_at=tuple(self.at(("projects", name, "workflows", i))
                                   for i in range(len(p.get("workflows", ())))),
                test_reports=tuple(p.get("test_reports", DEFAULT_TEST_REPORTS)),
                family_pattern=p.get("family_pattern"),
            )
        releases = {
            name: MappingProxyType(dict(branches)) for name, branches in (data.get("releases") or {}).items()
        }
        cascades = {
            name: _build_cascade(name, c, projects, settings) for name, c in (data.get("cascades") or {}).items()
        }
        return Config(
            path=self.file,
            settings=settings,
            ingest=ingest,
            projects=MappingProxyType(projects),
            releases=MappingProxyType(releases),
            cascades=MappingProxyType(cascades),
            source=self.text,
            failure_rules=tuple(MappingProxyType(dict(r)) for r in data.get("failure_rules") or ()),
            notify=notify_config.build(data.get("notify")),
            families=families_config.build(data.get("families")),
        )


def _build_cascade(name: str, raw: dict, projects: dict, settings: Settings) -> Cascade:
    trigger = None
    if raw.get("trigger") and "nightly" not in raw["trigger"]:
        t = raw["trigger"]
        trigger = Trigger(
            project=t["project"],
            workflow=t["workflow"],
            branch=t.get("branch"),
            event=t.get("event"),
            conclusion=t.get("conclusion", "success"),
            jobs=tuple(t.get("jobs") or ()),
        )
    params = {
        pname: Param(
            name=pname,
            description=p.get("description", ""),
            default=None if p.get("default") is None else str(p["default"]),
            required=p.get("required", "default" not in p),
            choices=tuple(p.get("choices", ())),
        )
        for pname, p in (raw.get("params") or {}).items()
    }
    stages = {}
    for stage_name in _topological(raw["stages"]):
        s = raw["stages"][stage_name]
        project = projects[s.get("project", stage_name)]
        stages[stage_name] = Stage(
            name=stage_name,
            project=project.name,
            workflow=s.get("workflow"),
            event_type=s.get("repository_dispatch"),
            ref=str(s.get("ref", project.default_branch)),
            inputs=MappingProxyType({k: str(v) for k, v in (s.get("inputs") or {}).items()}),
            client_payload=MappingProxyType(dict(s.get("client_payload") or {})),
            depends_on=tuple(s.get("depends_on") or ()),
            optional=bool(s.get("optional", False)),
            timeout_s=parse_duration(s["timeout"]) if "timeout" in s else settings.run_timeout_s,
            dispatch_timeout_s=(
                parse_duration(s["dispatch_timeout"]) if "dispatch_timeout" in s else settings.dispatch_timeout_s
            ),
            correlation_input=s.get("correlation_input", DEFAULT_CORRELATION_INPUT),
            report_status=bool(s.get("report_status", raw.get("report_status", False))),
            ref_explicit="ref" in s,
            jobs=tuple(s.get("jobs") or ()),
            needs_families=tuple(s.get("needs_families") or ()),
        )
    return Cascade(
        name=name,
        description=raw.get("description", ""),
        trigger=trigger,
        params=MappingProxyType(params),
        stages=MappingProxyType(stages),
        nightly_trigger=nightly_config.build((raw.get("trigger") or {}).get("nightly")),
        culprit=culprit_config.build(raw.get("culprit")),
    )


# ---------------------------------------------------------------- helpers


def _ancestors(stages: dict, stage: str) -> set[str]:
    seen: set[str] = set()
    todo = list((stages.get(stage) or {}).get("depends_on") or [])
    while todo:
        name = todo.pop()
        if name in stages and name not in seen:
            seen.add(name)
            todo.extend(stages[name].get("depends_on") or [])
    return seen


def _topological(stages: dict) -> list[str]:
    """Stage names with parents first, keeping file order among equals."""
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(stages):
        for name, stage in stages.items():
            if name not in placed and all(p in placed for p in stage.get("depends_on") or []):
                order.append(name)
                placed.add(name)
                break
    return order


def _template_problem(hole: str, reachable: set, params: dict, projects: dict, releases: dict) -> str | None:
    """Why a template path cannot be filled when its stage is dispatched, or None when it can."""
    if not templating.PATH.match(hole):
        return "write a dotted name such as upstream.rocm.run_id or params.version"
    parts = hole.split(".")
    root = parts[0]
    if root == "params":
        if len(parts) != 2:
            return "write params.<name>"
        if parts[1] not in params:
            known = ", ".join(sorted(params)) or "none declared"
            return f"parameter '{parts[1]}' is not declared in this cascade's params (declared: {known})"
        return None
    if root == "upstream":
        if len(parts) != 3:
            return f"write upstream.<stage>.<field> with field one of {', '.join(templating.UPSTREAM_FIELDS)}"
        if parts[1] not in reachable:
            known = ", ".join(sorted(reachable)) or "none"
            return (f"'{parts[1]}' is not the trigger project or an ancestor of this stage, so its result "
                    f"is not known when the stage starts (available: {known})")
        if parts[2] not in templating.UPSTREAM_FIELDS:
            return f"unknown field '{parts[2]}'; use one of {', '.join(templating.UPSTREAM_FIELDS)}"
        return None
    if root == "cascade":
        if len(parts) != 2 or parts[1] not in templating.CASCADE_FIELDS:
            return f"write cascade.<field> with field one of {', '.join(templating.CASCADE_FIELDS)}"
        return None
    if root == "stage":
        if len(parts) != 2 or parts[1] not in templating.STAGE_FIELDS:
            return f"write stage.<field> with field one of {', '.join(templating.STAGE_FIELDS)}"
        return None
    if root == "release":
        if "release" not in params:
            return "release.<project> needs a cascade parameter named 'release'"
        if len(parts) != 2 or parts[1] not in projects:
            return "write release.<project> with a project defined under projects"
        return None
    return f"unknown name '{root}'; templates may use params, upstream, cascade, stage, release or nightly"


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def _type_words(types) -> str:
    words = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
             "integer": "a whole number", "number": "a number"}
    if isinstance(types, str):
        types = [types]
    return " or ".join(words.get(t, t) for t in types)
