"""What a change to cascades.yaml does, as Markdown for a pull request's job summary.

    markdown = describe_changes(base_text_or_None, new_config)

Lists cascades added, removed and changed; for each added or changed cascade
draws its DAG (a Mermaid flowchart, which GitHub renders) and lists the
changed fields stage by stage. The text comes from a pull request, possibly
from a fork: every value is escaped and capped before it reaches Markdown.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from quartz import config as config_module
from quartz.config import Cascade, Config, ConfigError

MAX_VALUE = 120  # characters of any one value shown
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/@ +-]")
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]()!|~#+<>]")


# ---------------------------------------------------------------- the comparison


def stage_fields(config: Config, cascade: Cascade, name: str) -> dict[str, str]:
    """A stage as flat `field → text`, including the repo it dispatches to."""
    stage = cascade.stages[name]
    fields = {
        "project": stage.project,
        "repo": config.projects[stage.project].repo if stage.project in config.projects else "",
        "workflow": stage.workflow or "",
        "repository_dispatch": stage.event_type or "",
        "ref": stage.ref if stage.workflow else "",
        "depends_on": ", ".join(stage.depends_on),
        "optional": str(stage.optional).lower(),
        "timeout": _duration(stage.timeout_s),
        "dispatch_timeout": _duration(stage.dispatch_timeout_s),
        "correlation_input": stage.correlation_input,
        "report_status": str(stage.report_status).lower(),
        "jobs": ", ".join(stage.jobs),
    }
    fields.update(_flatten("inputs", stage.inputs))
    fields.update(_flatten("client_payload", stage.client_payload))
    return {key: value for key, value in fields.items() if value != ""}


def cascade_fields(cascade: Cascade) -> dict[str, str]:
    """The cascade's own settings (not its stages) as flat `field → text`."""
    fields = {"description": cascade.description}
    if cascade.trigger:
        trigger = cascade.trigger
        fields.update({
            "trigger.project": trigger.project, "trigger.workflow": trigger.workflow,
            "trigger.branch": trigger.branch or "", "trigger.event": trigger.event or "",
            "trigger.conclusion": trigger.conclusion, "trigger.jobs": ", ".join(trigger.jobs),
        })
    if cascade.nightly_trigger:
        fields["trigger.nightly"] = cascade.nightly_trigger.describe()
    for param in cascade.params.values():
        base = f"params.{param.name}"
        fields.update({
            f"{base}.required": str(param.required).lower(), f"{base}.default": param.default or "",
            f"{base}.choices": ", ".join(param.choices), f"{base}.description": param.description,
        })
    return {key: value for key, value in fields.items() if value != ""}


def _flatten(prefix: str, value) -> dict[str, str]:
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for key, inner in value.items():
            out.update(_flatten(f"{prefix}.{key}", inner))
        return out
    if isinstance(value, list | tuple):
        return {prefix: ", ".join(str(v) for v in value)}
    return {prefix: str(value)}


def _duration(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def _field_changes(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    return [(key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


class CascadeDiff:
    """How one cascade differs between the base and the pull request."""

    def __init__(self, name: str, old: tuple[Config, Cascade] | None, new: tuple[Config, Cascade] | None):
        self.name = name
        self.old, self.new = old, new
        old_stages = {s: stage_fields(*old, s) for s in old[1].stages} if old else {}
        new_stages = {s: stage_fields(*new, s) for s in new[1].stages} if new else {}
        self.added_stages = [s for s in new_stages if s not in old_stages]
        self.removed_stages = [s for s in old_stages if s not in new_stages]
        self.changed_stages = {
            s: _field_changes(old_stages[s], new_stages[s])
            for s in new_stages if s in old_stages and old_stages[s] != new_stages[s]
        }
        self.own_changes = _field_changes(cascade_fields(old[1]) if old else {},
                                          cascade_fields(new[1]) if new else {})

    @property
    def changed(self) -> bool:
        return bool(self.added_stages or self.removed_stages or self.changed_stages or self.own_changes)


# ---------------------------------------------------------------- Markdown


def describe_changes(old_text: str | None, new_config: Config, *, base_label: str = "the base branch") -> str:
    """Markdown: what the pull request's cascades.yaml changes relative to `old_text` (None: no file before)."""
    lines = ["## Cascades in this pull request", ""]
    old_config = None
    if old_text is None:
        lines += [f"> There is no cascades.yaml on {base_label}: every cascade is new.", ""]
    else:
        try:
            old_config = config_module.loads(old_text, "cascades.yaml (base)")
        except ConfigError as exc:
            lines += [f"> The cascades.yaml on {base_label} does not validate ({len(exc.problems)} problems), "
                      "so every cascade is shown as new.", ""]
    old_cascades = old_config.cascades if old_config else {}
    diffs = []
    for name in list(new_config.cascades) + [n for n in old_cascades if n not in new_config.cascades]:
        old = (old_config, old_cascades[name]) if name in old_cascades else None
        new = (new_config, new_config.cascades[name]) if name in new_config.cascades else None
        diffs.append(CascadeDiff(name, old, new))
    added = [d for d in diffs if d.old is None]
    removed = [d for d in diffs if d.new is None]
    changed = [d for d in diffs if d.old and d.new and d.changed]
    unchanged = [d for d in diffs if d.old and d.new and not d.changed]
    lines.append(
        f"**{len(added)} added, {len(changed)} changed, {len(removed)} removed, {len(unchanged)} unchanged** "
        f"(of {len(new_config.cascades)} cascades)."
    )
    lines.append("")
    lines += _project_lines(old_config, new_config)
    for diff in added:
        lines += _cascade_section(diff, "added")
    for diff in changed:
        lines += _cascade_section(diff, "changed")
    for diff in removed:
        lines += [f"### `{_name(diff.name)}` — removed", "",
                  f"Stages no longer run: {_name_list(diff.old[1].stages)}.", ""]
    if unchanged:
        lines += [f"Unchanged: {_name_list(d.name for d in unchanged)}.", ""]
    lines += _notify_lines(old_config, new_config)
    return "\n".join(lines).rstrip() + "\n"


def _notify_lines(old: Config | None, new: Config) -> list[str]:
    """The `notify:` section as it will be, when the pull request changes it."""
    if (old.notify if old else None) == new.notify or (old is None and not new.notify.rules):
        return []
    lines = ["### Notifications — changed" if old else "### Notifications", ""]
    for c in new.notify.channels.values():
        where = f"issues in {c.repo}, labels {', '.join(c.labels)}" if c.type == "github_issues" else \
            f"e-mail to {', '.join(c.smtp.to)} via {c.smtp.host}:{c.smtp.port}" if c.type == "email" else \
            f"webhook URL from ${c.webhook_env}"
        lines.append(f"- channel {_code(c.name)}: {_text(c.type)} ({_text(where)})")
    for r in new.notify.rules:
        scope = [f"projects {', '.join(r.projects)}" if r.projects else "", f"cascades {', '.join(r.cascades)}"
                 if r.cascades else "", f"after {r.after_failures} failures" if r.after_failures != 1 else "",
                 f"stuck after {_duration(r.stuck_after_s)}" if "stage_stuck" in r.events else ""]
        extra = "; ".join(x for x in scope if x)
        lines.append(f"- {_name_list(r.events)} → {_name_list(r.channels)}" + (f" ({_text(extra)})" if extra else ""))
    return lines + [""]


def _project_lines(old: Config | None, new: Config) -> list[str]:
    if old is None:
        return []
    before, after = old.projects, new.projects
    added = [p for p in after if p not in before]
    removed = [p for p in before if p not in after]
    changed = [p for p in after if p in before and after[p] != before[p]]
    if not (added or removed or changed):
        return []
    parts = [f"{label} {_name_list(names)}" for label, names in
             (("added", added), ("changed", changed), ("removed", removed)) if names]
    return [f"Projects: {'; '.join(parts)}.", ""]


def _cascade_section(diff: CascadeDiff, what: str) -> list[str]:
    config, cascade = diff.new
    lines = [f"### `{_name(diff.name)}` — {what}", ""]
    if cascade.description:
        lines += [_text(cascade.description), ""]
    lines += ["```mermaid", *mermaid(config, cascade, added=diff.added_stages if what == "changed" else (),
                                     changed=diff.changed_stages), "```", ""]
    if what == "added":
        return lines
    for key, before, after in diff.own_changes:
        lines.append(f"- {_code(key)}: {_change(before, after)}")
    for stage in diff.added_stages:
        lines.append(f"- stage {_code(stage)} added:")
        fields = stage_fields(config, cascade, stage)
        lines += [f"  - {_code(key)}: {_code(value)}" for key, value in fields.items()]
    for stage in diff.removed_stages:
        lines.append(f"- stage {_code(stage)} removed")
    for stage, changes in diff.changed_stages.items():
        lines.append(f"- stage {_code(stage)}:")
        lines += [f"  - {_code(key)}: {_change(before, after)}" for key, before, after in changes]
    return lines + [""]


def mermaid(config: Config, cascade: Cascade, *, added=(), changed=()) -> list[str]:
    """A left-to-right flowchart: the trigger (or a manual start), then stages in dependency order."""
    ids = {name: f"s{index}" for index, name in enumerate(cascade.stages)}
    if cascade.trigger:
        t = cascade.trigger
        parts = [t.project, t.workflow] + ([f"@ {t.branch}"] if t.branch else []) + (
            [f"jobs {', '.join(t.jobs)}"] if t.jobs else [t.conclusion])
    elif cascade.nightly_trigger:
        parts = [cascade.nightly_trigger.describe(), "succeeded"]
    else:
        parts = ["manual start"] + ([f"params: {' '.join(cascade.params)}"] if cascade.params else [])
    lines = ["flowchart LR", f'  start(["{" · ".join(_label(p) for p in parts)}"])']
    for name, stage in cascade.stages.items():
        how = stage.workflow or f"dispatch {stage.event_type}"
        repo = config.projects[stage.project].repo if stage.project in config.projects else stage.project
        text = f"{_label(name)}<br/>{_label(repo)} · {_label(how)}" + ("<br/>optional" if stage.optional else "")
        lines.append(f'  {ids[name]}["{text}"]')
    for name, stage in cascade.stages.items():
        parents = [ids[p] for p in stage.depends_on if p in ids] or ["start"]
        lines += [f"  {parent} {'-.->' if stage.optional else '-->'} {ids[name]}" for parent in parents]
    lines += ["  classDef added fill:#dafbe1,stroke:#1a7f37", "  classDef changed fill:#fff8c5,stroke:#9a6700"]
    for kind, names in (("added", added), ("changed", changed)):
        picked = [ids[n] for n in names if n in ids]
        if picked:
            lines.append(f"  class {','.join(picked)} {kind}")
    return lines


def _label(text: str) -> str:
    """Text safe inside a quoted Mermaid label: no quotes, brackets or markup."""
    return _LABEL_UNSAFE.sub("_", str(text))[:MAX_VALUE]


def _cap(text: str) -> str:
    text = str(text).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _code(text) -> str:
    """Inline code that no value can break out of (Markdown still applies inside inline HTML)."""
    return f"<code>{_text(text)}</code>"


def _text(text) -> str:
    """Escaped for HTML and for Markdown: entities are decoded only after Markdown is parsed."""
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", html.escape(_cap(text), quote=True))


def _name(name: str) -> str:
    return _label(name)


def _name_list(names) -> str:
    return ", ".join(_code(n) for n in names) or "none"


def _change(before: str | None, after: str | None) -> str:
    if before is None:
        return f"added {_code(after)}"
    if after is None:
        return f"removed (was {_code(before)})"
    return f"{_code(before)} → {_code(after)}"


# ---------------------------------------------------------------- command line


def write_step_summary(markdown: str) -> bool:
    """Append to $GITHUB_STEP_SUMMARY when Actions provides it; say whether it did."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(markdown)
    return True


def summary_for(base_path: str | Path | None, new_config: Config) -> str:
    """describe_changes with the base read from a file; a missing file means cascades.yaml is new."""
    base = Path(base_path) if base_path else None
    text = base.read_text(encoding="utf-8") if base and base.is_file() else None
    return describe_changes(text, new_config)


def main(argv: list[str] | None = None) -> int:
    """`python -m quartz.config.dagdiff --base BASE.yaml [--config FILE]`: Markdown to the summary or stdout."""
    parser = argparse.ArgumentParser(prog="python -m quartz.config.dagdiff", description=main.__doc__)
    parser.add_argument("--base", required=True, metavar="FILE",
                        help="cascades.yaml from the base branch (a missing file means it is new)")
    parser.add_argument("--config", default="cascades.yaml", metavar="FILE")
    args = parser.parse_args(argv)
    try:
        new_config = config_module.load(args.config)
    except ConfigError as exc:
        markdown = (f"## Cascades in this pull request\n\n{args.config} has {len(exc.problems)} problems "
                    "(see the `quartz validate` step and the inline annotations); fix them to see the DAGs.\n")
        if not write_step_summary(markdown):
            sys.stdout.write(markdown)
        return 2
    markdown = summary_for(args.base, new_config)
    if not write_step_summary(markdown):
        sys.stdout.write(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
