"""The config-check summary: which cascades a pull request changes, their DAGs, and what changed."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from quartz import config
from quartz.config import dagdiff

REPO = Path(__file__).resolve().parent.parent
BASE = (REPO / "cascades.yaml").read_text(encoding="utf-8")

SMALL = """
projects:
  rocm:    {repo: ROCm/rockrel, category: core, workflows: [release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [build.yml]}
  vllm:    {repo: ROCm/vllm, category: 3p_downstream, workflows: [test.yml]}
cascades:
  nightly:
    trigger: {project: rocm, workflow: release.yml, branch: main}
    stages:
      pytorch: {workflow: build.yml, inputs: {rocm_run: "{{ upstream.rocm.run_id }}"}}
      vllm:    {workflow: test.yml, depends_on: [pytorch], timeout: 6h}
  manual:
    params: {release: {required: true}}
    stages:
      pytorch: {workflow: build.yml}
"""


def describe(old: str | None, new: config.Config) -> str:
    """The summary with entities decoded, to check content (injection tests read the raw text)."""
    return html.unescape(dagdiff.describe_changes(old, new))


def edited(text: str, *pairs: tuple[str, str]) -> config.Config:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return config.loads(text)


def test_unchanged_config_reports_nothing_changed():
    markdown = describe(BASE, config.loads(BASE))
    assert "**0 added, 0 changed, 0 removed, 5 unchanged**" in markdown
    assert "```mermaid" not in markdown


def test_changed_stage_field_and_new_stage_are_listed_with_the_dag():
    new = edited(SMALL, ("timeout: 6h}", "timeout: 7h}\n      sglang: {workflow: test.yml, project: vllm, "
                                         "depends_on: [pytorch], optional: true}"))
    markdown = describe(SMALL, new)
    assert "**0 added, 1 changed, 0 removed, 1 unchanged**" in markdown
    section = markdown.split("### ")[1]
    assert section.startswith("`nightly` — changed")
    assert "<code>timeout</code>: <code>6h</code> → <code>7h</code>" in section
    assert "stage <code>sglang</code> added" in section
    graph = section.split("```mermaid")[1].split("```")[0]
    assert 'start(["rocm · release.yml · @ main · success"])' in graph
    assert "start --> s0" in graph and "s0 --> s1" in graph and "s0 -.-> s2" in graph
    assert "class s2 added" in graph and "class s1 changed" in graph
    assert "Unchanged: <code>manual</code>" in markdown


def test_added_and_removed_cascades_and_trigger_change():
    new = edited(SMALL, ("  manual:", "  fresh:"), ("branch: main}", "branch: main, conclusion: any}"))
    markdown = describe(SMALL, new)
    assert "**1 added, 1 changed, 1 removed, 0 unchanged**" in markdown
    assert "### `fresh` — added" in markdown and "### `manual` — removed" in markdown
    assert "<code>trigger.conclusion</code>: <code>success</code> → <code>any</code>" in markdown
    assert 'start(["manual start · params: release"])' in markdown


def test_template_change_in_inputs_shows_old_and_new():
    new = edited(SMALL, ("{{ upstream.rocm.run_id }}", "{{ upstream.rocm.head_sha }}"))
    markdown = describe(SMALL, new)
    assert ("<code>inputs.rocm_run</code>: <code>{{ upstream.rocm.run_id }}</code> → "
            "<code>{{ upstream.rocm.head_sha }}</code>") in markdown


def test_no_base_file_or_invalid_base_shows_everything_as_new(tmp_path):
    new = config.loads(SMALL)
    assert "no cascades.yaml on the base branch" in dagdiff.summary_for(tmp_path / "missing.yaml", new)
    markdown = dagdiff.describe_changes("projects: [", new)
    assert "does not validate" in markdown and "**2 added" in markdown


def test_project_changes_are_summarised():
    new = edited(SMALL, ("repo: ROCm/vllm", "repo: vllm-project/vllm"))
    markdown = describe(SMALL, new)
    assert "Projects: changed <code>vllm</code>." in markdown
    assert "<code>repo</code>: <code>ROCm/vllm</code> → <code>vllm-project/vllm</code>" in markdown


def test_untrusted_values_cannot_inject_markup():
    hostile = '</code><img src=x onerror=alert(1)>`[link](http://evil)`' + "x" * 500
    new = edited(SMALL, ('rocm_run: "{{ upstream.rocm.run_id }}"', f"note: {hostile!r}"),
                 ("  nightly:\n", "  nightly:\n    description: \"[click](http://evil) <b>hi</b> ```\"\n"))
    markdown = dagdiff.describe_changes(SMALL, new)
    assert "<img" not in markdown and "</code><" not in markdown.replace("</code>: <code>", "")
    assert "[click](http://evil)" not in markdown and "<b>" not in markdown
    assert all(len(html.unescape(chunk)) <= dagdiff.MAX_VALUE
               for chunk in re.findall(r"<code>(.*?)</code>", markdown))
    assert markdown.count("```") == 2  # one mermaid block, nothing injected


def test_cli_writes_the_step_summary(tmp_path, monkeypatch, capsys):
    base = tmp_path / "base.yaml"
    base.write_text(SMALL, encoding="utf-8")
    pr = tmp_path / "cascades.yaml"
    pr.write_text(SMALL.replace("timeout: 6h", "timeout: 5h"), encoding="utf-8")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert dagdiff.main(["--base", str(base), "--config", str(pr)]) == 0
    assert "<code>6h</code> → <code>5h</code>" in html.unescape(summary.read_text(encoding="utf-8"))
    assert capsys.readouterr().out == ""
    pr.write_text("projects: {}\ncascades: {x: {stages: {}}}\n", encoding="utf-8")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert dagdiff.main(["--base", str(base), "--config", str(pr)]) == 2
    assert "problems" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["nightly", "release", "inference-stack"])
def test_every_fleet_cascade_draws(name):
    fleet = config.loads(BASE)
    lines = dagdiff.mermaid(fleet, fleet.cascades[name])
    assert lines[0] == "flowchart LR"
    assert sum("-->" in line or "-.->" in line for line in lines) >= len(fleet.cascades[name].stages)
