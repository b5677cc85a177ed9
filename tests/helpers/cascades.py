"""A small fleet with a three-level cascade (fan-out, fan-in, repository_dispatch) on the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from quartz import config as config_module
from quartz.cascades.advance import advance
from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from quartz.devtools.simulator import server as simulator_server
from quartz.github.client import GitHubClient
from quartz.store.db import Store
from quartz.sync.runs import sync

# Small answers in two TCP writes wait on delayed ACKs with Nagle on (see sync_helpers).
simulator_server._Handler.disable_nagle_algorithm = True

TOKEN = "sim-token-cascade-5ecret"
START = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
STEP = timedelta(minutes=10)

FLEET = """
settings: {dispatch_timeout: 30m, run_timeout: 6h, schedule_interval: 10m, backfill_days: 1,
           site_url: "https://quartz.example"}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  triton: {repo: ROCm/triton, category: 1p_downstream, workflows: [amd-ci.yml]}
  aiter: {repo: ROCm/aiter, category: 1p_downstream, workflows: [aiter-test.yaml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
  sglang: {repo: sgl-project/sglang, category: 3p_downstream, workflows: [pr-test-amd.yml]}
releases:
  "7.10": {pytorch: release/2.10, triton: release/3.5}
  "7.9": {pytorch: release/2.9, triton: release/3.5}
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main, conclusion: success}
    report_status: true
    stages:
      pytorch:
        workflow: rocm-build.yml
        inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}", rocm_sha: "{{ upstream.rocm.head_sha }}"}
      triton:
        workflow: amd-ci.yml
        depends_on: [pytorch]
        inputs: {pytorch_run_id: "{{ upstream.pytorch.run_id }}"}
      aiter:
        workflow: aiter-test.yaml
        depends_on: [pytorch]
        optional: true
        inputs: {wheels: "{{ upstream.pytorch.artifact_names }}"}
      vllm:
        workflow: rocm-test.yml
        depends_on: [triton, aiter]
        inputs: {triton_run_id: "{{ upstream.triton.run_id }}", pytorch_run_id: "{{ upstream.pytorch.run_id }}"}
      sglang:
        repository_dispatch: rocm-nightly
        depends_on: [pytorch]
        optional: true
        client_payload: {pytorch_run_id: "{{ upstream.pytorch.run_id }}"}
  release:
    params:
      release: {required: true, choices: ["7.10", "7.9"]}
    stages:
      pytorch: {workflow: rocm-build.yml, ref: "{{ release.pytorch }}", inputs: {rocm_run_id: "{{ params.release }}"}}
      triton: {workflow: amd-ci.yml, ref: "{{ release.triton }}", depends_on: [pytorch]}
"""

WORKFLOWS = {
    # repo, file, declared inputs
    "pytorch": ("ROCm/pytorch", "rocm-build.yml", ("rocm_run_id", "rocm_sha")),
    "triton": ("ROCm/triton", "amd-ci.yml", ("pytorch_run_id",)),
    "aiter": ("ROCm/aiter", "aiter-test.yaml", ("wheels",)),
    "vllm": ("ROCm/vllm", "rocm-test.yml", ("triton_run_id", "pytorch_run_id")),
}


def build_world(failing: tuple[str, ...] = ()) -> World:
    """ROCm, four workflow_dispatch projects and SGLang on repository_dispatch; `failing` stages always fail."""
    world = World(START, seed=3)
    rocm = world.add_repo("ROCm/rockrel")
    world.add_workflow(rocm, "multi_arch_release.yml", name="Multi-arch release", jobs=[JobSpec("build", 3600)],
                       artifacts=(("manifest", 2048),))
    for name, (repo, path, inputs) in WORKFLOWS.items():
        r = world.add_repo(repo, branches=("release/2.10", "release/3.5"))
        declared = {k: {"required": False, "default": ""} for k in (*inputs, "quartz_correlation_id")}
        world.add_workflow(r, path, name=f"{name} CI", run_name=f"{name} CI ${{{{ inputs.quartz_correlation_id }}}}",
                           inputs=declared, on=("push", "workflow_dispatch"),
                           jobs=[JobSpec("build", 1200, failure_rate=1.0 if name in failing else 0.0)],
                           artifacts=((f"{name}-wheel", 4096),))
    sglang = world.add_repo("sgl-project/sglang")
    world.add_workflow(sglang, "pr-test-amd.yml", name="PR Test (AMD)",
                       run_name="AMD ${{ github.event.client_payload.quartz.correlation_id }}",
                       on=("push", "repository_dispatch"), dispatch_types=("rocm-nightly",),
                       jobs=[JobSpec("test", 900, failure_rate=1.0 if "sglang" in failing else 0.0)])
    return world


@dataclass
class Fleet:
    world: World
    server: SimulatorServer
    path: str
    config: config_module.Config = field(default_factory=lambda: config_module.loads(FLEET))
    store: Store | None = None

    def client(self, store: Store | None = None, timeout: float = 15) -> GitHubClient:
        return GitHubClient(self.server.url, TOKEN, store=store or self.store, sleep=lambda s: None,
                            timeout=timeout, write_interval_s=0)

    def open(self) -> Store:
        self.store = Store.open(self.path)
        return self.store

    def reopen(self) -> Store:
        """A new process: close the store and open it again from disk."""
        if self.store is not None:
            self.store.close()
        return self.open()

    def sync(self):
        return sync(self.config, self.store, self.client(), self.world.now)

    def advance(self, **hooks):
        return advance(self.config, self.store, self.client(), self.world.now, **hooks)

    def cycle(self, **hooks):
        self.sync()
        return self.advance(**hooks)

    def upstream_success(self) -> int:
        """A ROCm release run on main that completes successfully within the next step."""
        run = self.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                    conclusion="success", created_at=self.world.now - timedelta(minutes=59))
        self.world.advance(timedelta(minutes=2))
        return run.id

    def run_until_done(self, cascade_run_id: str, max_cycles: int = 40) -> str:
        for _ in range(max_cycles):
            self.world.advance(STEP)
            self.cycle()
            status = self.cascade_status(cascade_run_id)
            if status != "running":
                return status
        return self.cascade_status(cascade_run_id)

    # -- reading what happened

    def cascade_runs(self) -> list[dict]:
        return self.store.db.execute("SELECT * FROM cascade_runs ORDER BY created_at").df().to_dict("records")

    def cascade_status(self, cascade_run_id: str) -> str:
        return self.store.query_one("cascades/run_get", cascade_run_id=cascade_run_id)["status"]

    def stages(self, cascade_run_id: str) -> dict[str, dict]:
        return {s["stage"]: s for s in self.store.query("cascades/stages_of", cascade_run_id=cascade_run_id)}

    def events(self, cascade_run_id: str) -> list[dict]:
        return self.store.query("cascades/events_of", cascade_run_id=cascade_run_id)

    def downstream_runs(self, stage: str):
        if stage == "sglang":
            return [r for r in self.world.runs_in("sgl-project/sglang") if r.event == "repository_dispatch"]
        repo, path, _ = WORKFLOWS[stage]
        return [r for r in self.world.runs_in(repo, path) if r.event == "workflow_dispatch"]

    def dispatch_posts(self, stage: str | None = None) -> int:
        if stage is None:
            return self.server.request_count(method="POST", path=r"/dispatches$")
        if stage == "sglang":
            return self.server.request_count(method="POST", path=r"sgl-project/sglang/dispatches$")
        repo, path, _ = WORKFLOWS[stage]
        return self.server.request_count(method="POST", path=rf"{repo}/actions/workflows/{path}/dispatches$")


def start_fleet(tmp_path, failing: tuple[str, ...] = ()) -> Fleet:
    world = build_world(failing)
    server = SimulatorServer(world, token=TOKEN).start()
    fleet = Fleet(world, server, str(tmp_path / "quartz.duckdb"))
    fleet.open()
    fleet.cycle()  # Quartz sees the cascades before any upstream run exists
    return fleet


def started_cascade(fleet: Fleet) -> str:
    """An upstream success, one cycle: the cascade run it starts."""
    fleet.upstream_success()
    fleet.cycle()
    [run] = fleet.cascade_runs()
    return run["cascade_run_id"]
