"""cascades.yaml validation: every malformed file is rejected at the right line with the right words."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quartz import config

REPO_ROOT = Path(__file__).resolve().parent.parent

BASE_PROJECTS = """\
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
"""


def _errors(text: str) -> list[config.Problem]:
    with pytest.raises(config.ConfigError) as caught:
        config.loads(textwrap.dedent(text), "cascades.yaml")
    return caught.value.problems


# (case id, file text, expected line, expected words in the message)
MALFORMED = [
    ("empty", "", 1, "file is empty"),
    ("only-comments", "# nothing here\n# at all\n", 1, "file is empty"),
    ("not-a-mapping-list", "- a\n- b\n", 1, "top level must be a mapping"),
    ("not-a-mapping-scalar", "hello\n", 1, "top level must be a mapping"),
    ("tab-indent", "projects:\n\trocm: {repo: a/b, category: core}\n", 2, "tab"),
    ("invalid-yaml", "projects: [unclosed\n", 2, "invalid YAML"),
    ("duplicate-top-key", BASE_PROJECTS + "projects: {}\n", 5, "duplicate key 'projects'"),
    ("duplicate-project", BASE_PROJECTS + "  rocm: {repo: ROCm/x, category: core}\n", 5, "duplicate key 'rocm'"),
    ("missing-projects", "releases: {}\n", 1, "'projects' is a required key"),
    ("unknown-top-key", BASE_PROJECTS + "cascade: {}\n", 5, "did you mean 'cascades'"),
    ("misspelt-project-key", "projects:\n  rocm: {repo: ROCm/rockrel, categroy: core}\n", 2,
     "did you mean 'category'"),
    ("bad-repo-form", "projects:\n  rocm: {repo: rockrel, category: core}\n", 2, "not in owner/name form"),
    ("bad-repo-extra-slash", "projects:\n  rocm: {repo: a/b/c, category: core}\n", 2, "owner/name"),
    ("bad-category", "projects:\n  rocm: {repo: ROCm/rockrel, category: upstream}\n", 2, "is not one of"),
    ("workflows-not-list", "projects:\n  rocm: {repo: ROCm/rockrel, category: core, workflows: a.yml}\n", 2,
     "expected a list"),
    ("bad-project-name", "projects:\n  'rocm release': {repo: ROCm/rockrel, category: core}\n", 2,
     "may use only letters"),
    ("release-unknown-project", BASE_PROJECTS + "releases:\n  '7.0': {rocm: release/7.0, pytroch: main}\n", 6,
     "unknown project 'pytroch'; did you mean 'pytorch'"),
    ("bad-settings-duration", "settings: {schedule_interval: 10 minutes}\n" + BASE_PROJECTS, 1, "bad duration"),
    ("bad-backfill", "settings: {backfill_days: many}\n" + BASE_PROJECTS, 1, "expected a whole number"),
    ("trigger-unknown-project", BASE_PROJECTS + """\
cascades:
  nightly:
    trigger: {project: rcom, workflow: multi_arch_release.yml}
    stages:
      pytorch: {workflow: rocm-build.yml}
""", 7, "unknown project 'rcom'; did you mean 'rocm'"),
    ("trigger-unlisted-workflow", BASE_PROJECTS + """\
cascades:
  nightly:
    trigger: {project: rocm, workflow: other.yml}
    stages:
      pytorch: {workflow: rocm-build.yml}
""", 7, "not listed in projects.rocm.workflows"),
    ("trigger-bad-conclusion", BASE_PROJECTS + """\
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, conclusion: passed}
    stages:
      pytorch: {workflow: rocm-build.yml}
""", 7, "is not one of"),
    ("stage-unknown-project", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorhc: {workflow: rocm-build.yml}
""", 8, "unknown project 'pytorhc'; did you mean 'pytorch'"),
    ("stage-misspelt-key", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {workflow: rocm-build.yml, depend_on: [vllm]}
""", 8, "did you mean 'depends_on'"),
    ("stage-unknown-dependency", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {workflow: rocm-build.yml}
      vllm: {workflow: rocm-test.yml, depends_on: [pytorhc]}
""", 9, "unknown stage 'pytorhc'; did you mean 'pytorch'"),
    ("stage-depends-on-itself", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {workflow: rocm-build.yml, depends_on: [pytorch]}
""", 8, "depends on itself"),
    ("dependency-cycle", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch:
        workflow: rocm-build.yml
        depends_on: [vllm]
      vllm:
        workflow: rocm-test.yml
        depends_on: [pytorch]
""", 13, "dependency cycle: "),
    ("bad-stage-timeout", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch:
        workflow: rocm-build.yml
        timeout: six hours
""", 10, "bad duration 'six hours'"),
    ("bad-dispatch-timeout", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {workflow: rocm-build.yml, dispatch_timeout: 30}
""", 8, "expected a string"),
    ("no-dispatch-kind", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {ref: main}
""", 8, "exactly one of 'workflow'"),
    ("both-dispatch-kinds", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {workflow: rocm-build.yml, repository_dispatch: go}
""", 8, "exactly one of 'workflow'"),
    ("undefined-param-template", BASE_PROJECTS + """\
cascades:
  release:
    params: {version: {required: true}}
    stages:
      pytorch:
        workflow: rocm-build.yml
        inputs: {v: "{{ params.verison }}"}
""", 11, "parameter 'verison' is not declared"),
    ("upstream-not-ancestor", BASE_PROJECTS + """\
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml}
    stages:
      pytorch: {workflow: rocm-build.yml, inputs: {v: "{{ upstream.vllm.run_id }}"}}
      vllm: {workflow: rocm-test.yml}
""", 9, "'vllm' is not the trigger project or an ancestor"),
    ("upstream-unknown-field", BASE_PROJECTS + """\
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml}
    stages:
      pytorch: {workflow: rocm-build.yml, inputs: {v: "{{ upstream.rocm.sha }}"}}
""", 9, "unknown field 'sha'"),
    ("unknown-template-root", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch: {workflow: rocm-build.yml, ref: "{{ env.HOME }}"}
""", 8, "unknown name 'env'"),
    ("release-template-without-param", BASE_PROJECTS + """\
cascades:
  release:
    stages:
      pytorch: {workflow: rocm-build.yml, ref: "{{ release.pytorch }}"}
""", 8, "needs a cascade parameter named 'release'"),
    ("too-many-inputs", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      pytorch:
        workflow: rocm-build.yml
        inputs: {""" + ", ".join(f"i{n}: x" for n in range(25)) + """}
""", 10, "exceed GitHub's limit of 25"),
    ("too-many-payload-keys", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      vllm:
        repository_dispatch: rocm-nightly
        client_payload: {""" + ", ".join(f"k{n}: x" for n in range(10)) + """}
""", 10, "GitHub allows 10 top-level keys"),
    ("event-type-too-long", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      vllm: {repository_dispatch: """ + "e" * 101 + """}
""", 8, "1 to 100 characters"),
    ("inputs-on-repository-dispatch", BASE_PROJECTS + """\
cascades:
  nightly:
    stages:
      vllm: {repository_dispatch: go, inputs: {a: b}}
""", 8, "applies to workflow stages only"),
    ("stages-empty", BASE_PROJECTS + """\
cascades:
  nightly:
    stages: {}
""", 7, "should be non-empty"),
    ("stages-missing", BASE_PROJECTS + """\
cascades:
  nightly:
    description: no stages
""", 7, "'stages' is a required key"),
    ("merge-key", """\
projects:
  rocm: &p {repo: ROCm/rockrel, category: core}
  pytorch:
    <<: *p
    repo: ROCm/pytorch
""", 4, "merge keys (<<) are not supported"),
]


@pytest.mark.parametrize("text,line,words", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_file_is_rejected_at_the_right_line(text, line, words):
    problems = _errors(text)
    matching = [p for p in problems if words in p.message]
    assert matching, f"no problem mentions {words!r}; got: {[str(p) for p in problems]}"
    assert matching[0].line == line, str(matching[0])
    assert matching[0].file == "cascades.yaml"


def test_there_are_at_least_thirty_malformed_cases():
    assert len(MALFORMED) >= 30


def test_all_problems_are_reported_at_once():
    problems = _errors(BASE_PROJECTS + """\
  bad: {repo: nope, category: core}
cascades:
  nightly:
    trigger: {project: rcom, workflow: multi_arch_release.yml}
    stages:
      pytorch: {workflow: rocm-build.yml, depends_on: [pytorch], timeout: 5x}
""")
    messages = " | ".join(p.message for p in problems)
    for words in ("owner/name", "unknown project 'rcom'", "depends on itself", "bad duration"):
        assert words in messages
    assert len(problems) >= 4


def test_cycle_is_printed_in_dependency_order():
    problems = _errors(BASE_PROJECTS + """\
cascades:
  c:
    stages:
      rocm: {workflow: multi_arch_release.yml, depends_on: [pytorch]}
      pytorch: {workflow: rocm-build.yml, depends_on: [vllm]}
      vllm: {workflow: rocm-test.yml, depends_on: [rocm]}
""")
    cycles = [p.message for p in problems if "cycle" in p.message]
    assert cycles == ["dependency cycle: rocm -> pytorch -> vllm -> rocm (each depends on the next)"]


def test_problem_string_names_file_line_column_and_key_path():
    problems = _errors("projects:\n  rocm: {repo: ROCm/rockrel, categroy: core}\n")
    text = str([p for p in problems if "categroy" in p.message][0])
    assert text.startswith("cascades.yaml:2:")
    assert "projects.rocm.categroy" in text


def test_annotation_is_a_github_workflow_command():
    problem = _errors("projects:\n  rocm: {repo: rockrel, category: core}\n")[0]
    annotation = problem.annotation()
    assert annotation.startswith("::error file=cascades.yaml,line=2,col=")
    assert "owner/name" in annotation


def test_the_shipped_fleet_is_valid_and_realistic():
    fleet = config.load(REPO_ROOT / "cascades.yaml")
    assert len(fleet.projects) >= 18
    assert {p.category for p in fleet.projects.values()} == {"core", "1p_downstream", "3p_downstream"}
    assert fleet.projects["rocm"].repo == "ROCm/rockrel"
    assert "multi_arch_release.yml" in fleet.projects["rocm"].workflows
    assert len(fleet.releases) >= 2
    nightly = fleet.cascades["nightly"]
    assert nightly.trigger and nightly.trigger.workflow == "multi_arch_release.yml"
    assert fleet.cascades["release"].trigger is None  # started by hand
    fan_in = [s for c in fleet.cascades.values() for s in c.stages.values() if len(s.depends_on) >= 2]
    assert fan_in, "some cascade must fan in"


def test_loaded_config_is_immutable_and_ordered():
    fleet = config.load(REPO_ROOT / "cascades.yaml")
    stack = fleet.cascades["inference-stack"]
    order = list(stack.stages)
    assert order.index("vllm") > max(order.index(p) for p in stack.stages["vllm"].depends_on)
    with pytest.raises(TypeError):
        fleet.projects["new"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        fleet.settings.backfill_days = 1  # type: ignore[misc]
    assert stack.stages["vllm"].timeout_s == 6 * 3600
    assert stack.stages["triton"].dispatch_timeout_s == 30 * 60


@pytest.mark.parametrize("text,seconds", [("45s", 45), ("30m", 1800), ("6h", 21600), ("1h30m", 5400), ("2d", 172800)])
def test_durations(text, seconds):
    assert config.parse_duration(text) == seconds


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(config.ConfigError) as caught:
        config.load(tmp_path / "nope.yaml")
    assert "file not found" in str(caught.value)
