"""Notification tests' parts: a real webhook receiver on localhost and a small fleet with a `notify:` section."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from quartz import config as config_module
from quartz import cycle
from quartz.config.model import Notify
from quartz.devtools import simworld
from quartz.devtools.simulator import SimulatorServer
from quartz.devtools.simulator import server as simulator_server
from quartz.github.client import GitHubClient
from quartz.store import reader

simulator_server._Handler.disable_nagle_algorithm = True

T0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
TOKEN = "sim-token-notify"
WEBHOOK_ENV = "QUARTZ_TEST_SLACK_WEBHOOK"
FLEET = """\
settings: {backfill_days: 3, site_url: "https://quartz.example.test"}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main, conclusion: success}
    stages:
      pytorch: {workflow: rocm-build.yml}
notify:
  channels:
    team: {type: slack, webhook_env: QUARTZ_TEST_SLACK_WEBHOOK}
  rules:
    - {events: [branch_red, branch_green, cascade_failed, cascade_recovered], channels: [team]}
"""


class Receiver:
    """An incoming-webhook endpoint over real HTTP. mode: ok | fail (500) | refuse (400) | hang | echo (400 whose
    text repeats the URL it was sent to in every form a server might: whole, path, query, encoded, cut short)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.mode = "ok"
        self.release = threading.Event()
        self.secret_path = f"/services/T0/B0/{uuid.uuid4().hex}"
        self.query = f"?token=q{uuid.uuid4().hex}"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.split("?")[0] != receiver.secret_path:
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver.messages.append(json.loads(data))
                if receiver.mode == "hang":
                    receiver.release.wait(30)
                status = {"ok": 200, "fail": 500, "refuse": 400, "echo": 400}.get(receiver.mode, 200)
                body = b"ok" if status == 200 else b"invalid_payload"
                if receiver.mode == "echo":
                    body = receiver.echo(self.path).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.secret_path}{self.query}"

    def echo(self, path: str) -> str:
        token = self.secret_path.rsplit("/", 1)[1]
        return (f"invalid_token for {self.url} (path {path}, query {self.query[1:]}, "
                f"encoded {quote(self.url, safe='')}, token {token[:20]}…, {token[-12:]} {token.upper()})")

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Fleet:
    """The simulator with a small fleet, a store on disk (or in S3) and a cycle that notifies."""

    def __init__(self, tmp_path: Path, text: str = FLEET, location: str | None = None):
        self.config = config_module.loads(text, "cascades.yaml")
        self.world = simworld.build_world(self.config, T0, seed=3)
        self.world.advance(dt.timedelta(hours=1))
        self.server = SimulatorServer(self.world, token=TOKEN).start()
        self.tmp = tmp_path
        self.location = location or str(tmp_path / "quartz.duckdb")

    def client(self) -> GitHubClient:
        world = self.world
        return GitHubClient(self.server.url, TOKEN, sleep=lambda s: world.advance(dt.timedelta(seconds=s)),
                            clock=lambda: world.now_ts, write_interval_s=0)

    def cycle(self, on_phase=None, site="site", render: bool = False) -> cycle.CycleReport:
        return cycle.run_cycle(self.config, self.location, self.client(), self.tmp / site, None,
                               self.world.now, on_phase=on_phase, clock=lambda: self.world.now, render=render)

    def sync_only(self) -> None:
        """A cycle whose config has no rules: the store learns the runs, nobody is told yet."""
        quiet = dataclasses.replace(self.config, notify=Notify())
        cycle.run_cycle(quiet, self.location, self.client(), self.tmp / "site", None, self.world.now,
                        clock=lambda: self.world.now, render=False)

    def run(self, conclusion: str, repo: str = "ROCm/pytorch", workflow: str = "rocm-build.yml",
            branch: str = "main", title: str | None = None) -> int:
        run = self.world.create_run(repo, workflow, branch, conclusion=conclusion, display_title=title)
        self.world.advance(dt.timedelta(hours=2))
        return run.id

    def intents(self) -> list[dict]:
        with reader.read_only(self.location) as store:  # a local file, or the object in S3
            return store.query("notify/intents_recent", limit=1000)

    def stop(self) -> None:
        self.server.stop()
