"""What a report from TheRock's release workflows means: which pipeline, platform,
phase and GPU families a run (or one reusable-workflow call inside it) stands for.

TheRock's `notify_quartz` action reports every reusable-workflow call of a
release run separately, under the run's id but with the *calling* workflow's
file as `path`. These tables place each file in the status.json tree; the
rules follow ROCm/Quartz's receive pipeline (see docs in statusjson.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

# Platform "" = decided at classify time: "runner" reads the test runner label.
_RUNNER = "runner"


@dataclass(frozen=True)
class Place:
    platform: str  # linux | windows | "" (setup and top-level orchestrators)
    pipeline: str  # rocm | pytorch | jax | native_packages | setup | orchestrator
    phase: str  # build | test | test-full | rpm | deb | setup | release | release-linux | ...


# workflow file -> [(platform, pipeline, phase, {input: value that must match})]
_LEAVES: dict[str, list[tuple[str, str, str, dict[str, str]]]] = {
    "multi_arch_build_portable_linux.yml": [("linux", "rocm", "build", {})],
    "multi_arch_build_portable_linux_artifacts.yml": [("linux", "rocm", "build", {})],
    "multi_arch_build_wsl_rocdxg_artifacts.yml": [("linux", "rocm", "build", {})],
    "multi_arch_build_windows.yml": [("windows", "rocm", "build", {})],
    "multi_arch_build_windows_artifacts.yml": [("windows", "rocm", "build", {})],
    "multi_arch_build_tarballs.yml": [("linux", "rocm", "build", {"platform": "linux"}),
                                      ("windows", "rocm", "build", {"platform": "windows"})],
    "test_artifacts.yml": [(_RUNNER, "rocm", "test", {})],
    "test_component.yml": [(_RUNNER, "rocm", "test", {})],
    "test_rocm_wheels.yml": [(_RUNNER, "rocm", "test", {})],
    "multi_arch_release_linux_pytorch_wheels.yml": [("linux", "pytorch", "build", {})],
    "multi_arch_build_portable_linux_pytorch_wheels.yml": [("linux", "pytorch", "build", {})],
    "multi_arch_release_windows_pytorch_wheels.yml": [("windows", "pytorch", "build", {})],
    "multi_arch_build_windows_pytorch_wheels.yml": [("windows", "pytorch", "build", {})],
    "test_pytorch_wheels.yml": [(_RUNNER, "pytorch", "test", {})],
    "test_pytorch_wheels_full.yml": [("linux", "pytorch", "test-full", {})],
    "multi_arch_release_linux_jax_wheels.yml": [("linux", "jax", "build", {})],
    "multi_arch_build_linux_jax_wheels.yml": [("linux", "jax", "build", {})],
    "test_linux_jax_wheels.yml": [("linux", "jax", "test", {})],
    "test_linux_jax_wheels_partial.yml": [("linux", "jax", "test", {})],
    "multi_arch_build_native_linux_packages.yml": [
        ("linux", "native_packages", "rpm", {"native_package_type": "rpm"}),
        ("linux", "native_packages", "deb", {"native_package_type": "deb"}),
    ],
    "test_native_linux_packages_install.yml": [("linux", "native_packages", "test", {})],
    "setup_multi_arch.yml": [("", "setup", "setup", {})],
}

# Orchestrators fan out to the leaves above and own no leaf themselves.
_ORCHESTRATORS: dict[str, tuple[str, str]] = {
    "multi_arch_release.yml": ("", "release"),
    "multi_arch_release_asan.yml": ("", "release-asan"),
    "multi_arch_release_linux.yml": ("linux", "release-linux"),
    "multi_arch_release_windows.yml": ("windows", "release-windows"),
    "multi_arch_repackage.yml": ("", "repackage"),
    "multi_arch_repackage_linux.yml": ("linux", "repackage"),
    "multi_arch_repackage_windows.yml": ("windows", "repackage"),
    "build_portable_linux_python_packages.yml": ("linux", "python-packages"),
    "build_windows_python_packages.yml": ("windows", "python-packages"),
}

RELEASE_ORCHESTRATOR = "multi_arch_release.yml"  # its completion finalizes a release document
CDN_PHASES = frozenset({"release-linux", "release-windows"})
# Reports that place nothing in status.json (per-component test shards; install smoke tests).
IGNORED_FOR_STATUS = frozenset({"test_component.yml", "test_native_linux_packages_install.yml"})

# Every release runs these per platform; an unreported one holds its platform open.
EXPECTED_PIPELINES = {"linux": ("rocm", "pytorch", "jax", "native_packages"), "windows": ("rocm", "pytorch")}

NIGHTLY_VERSION = re.compile(r"^\d+\.\d+\.\d+a(\d{8})$")
PRERELEASE_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)rc(\d+)$")
_DEV_VERSION = re.compile(r"\.dev\d*|^\d+\.\d+\.\d+dev\d*")
GPU_FAMILY = r"gfx[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?"
_GPU_FAMILY_WORD = re.compile(rf"\b({GPU_FAMILY})\b")
_ROCM_SEGMENT = re.compile(r"rocm(\d[\w.+-]*)")
_SHA = re.compile(r"[0-9a-f]{40}")
_ARTIFACT_URL_RUN = re.compile(r"/(\d+)-(?:linux|windows)(?:/|$)")


def workflow_file(path: str | None) -> str:
    return PurePosixPath(path or "").name


def place(path: str, inputs: dict) -> Place | None:
    """Where a report lands, or None for a workflow the release tree does not know."""
    name = workflow_file(path)
    if name in _ORCHESTRATORS:
        platform, phase = _ORCHESTRATORS[name]
        return Place(platform, "orchestrator", phase)
    for platform, pipeline, phase, match in _LEAVES.get(name, ()):
        if all(inputs.get(k) == v for k, v in match.items()):
            if platform == _RUNNER:
                # Linux unless the test was sent to a Windows runner.
                platform = "windows" if "windows" in str(inputs.get("test_runs_on") or "").lower() else "linux"
            return Place(platform, pipeline, phase)
    return None


def split_families(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[;,]", value) if t.strip()]
    return []


def architectures(inputs: dict, job_names: list[str]) -> list[str]:
    """GPU families a run targets: explicit inputs first, job names as the last resort."""
    for key in ("amdgpu_families", "families"):
        if key in inputs:  # present, even empty, is the producer's answer
            return split_families(inputs.get(key))
    for key in ("amdgpu_family", "test_amdgpu_family", "dist_amdgpu_families"):
        found = split_families(str(inputs.get(key) or ""))
        if found:
            return found
    return list(dict.fromkeys(m for name in job_names for m in _GPU_FAMILY_WORD.findall(name)))


def raw_rocm_version(inputs: dict, captured: dict | None) -> str:
    """The version a report carries, in whatever flavour its producer wrote it."""
    for key in ("rocm_version", "rocm_package_version", "package_version"):
        if inputs.get(key):
            return str(inputs[key])
    for need in (captured or {}).values():
        outputs = need.get("outputs") if isinstance(need, dict) else None
        if isinstance(outputs, dict):
            for key in ("rocm_package_version", "version"):
                if outputs.get(key):
                    return str(outputs[key])
    return str(inputs.get("torch_version") or "")


def release_version(raw: str, inputs: dict) -> str | None:
    """Wheel-style ROCm version (`7.13.0a20260415`, `7.13.0rc1`) that routes a report to its document."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if "+" in raw:  # a framework version with ROCm as local segment: 2.12.0+rocm7.15.0a20260702
        match = _ROCM_SEGMENT.search(raw)
        if match:
            raw = match.group(1)
    if "~" not in raw:
        return raw
    base, _, suffix = raw.partition("~")  # native package flavour
    if suffix.startswith(("rc", "pre")):
        return f"{base}rc{suffix.removeprefix('rc').removeprefix('pre')}"
    ref = str(inputs.get("ref") or "").strip()
    if suffix.startswith("dev"):
        return f"{base}.dev0+{ref if _SHA.fullmatch(ref) else suffix[3:].replace('-', '.')}"
    if "g" in suffix:
        return f"{base}.dev0+{ref if _SHA.fullmatch(ref) else suffix.split('g', 1)[1]}"
    return f"{base}a{suffix}"


def is_dev_version(version: str) -> bool:
    return bool(_DEV_VERSION.search(version))


def _int(value) -> int | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def owner_run_id(run_id: int, where: Place | None, inputs: dict, parent_run_id: int | None) -> int | None:
    """The top-level release run this report belongs to (None when nothing says)."""
    if where and where.pipeline == "orchestrator" and where.platform == "" and where.phase == "release":
        return run_id
    found = _int(inputs.get("artifact_run_id"))
    if found is not None:
        return found
    for key in ("rocm_package_find_links_url", "rocm_package_index_url", "package_install_url"):
        value = inputs.get(key)
        match = _ARTIFACT_URL_RUN.search(value) if isinstance(value, str) else None
        if match:
            return int(match.group(1))
    return parent_run_id


def source_run_id(run_id: int, inputs: dict, parent_run_id: int | None) -> int:
    """The run whose artifacts a report points at."""
    return _int(inputs.get("artifact_run_id")) or parent_run_id or run_id
