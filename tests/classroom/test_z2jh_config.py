"""The Zero to JupyterHub values (tools/hub/z2jh-config.yaml) agree with the measured load (tools/hub/hub-load.json,
written by `make bench-hub`) and with the hub the tests run (tools/hub/jupyterhub_config.py).

The chart's own schema check needs the chart (not shipped here); README "Teaching a class on a JupyterHub" says how
it was run and what could not be (helm itself, a cluster).
"""

from __future__ import annotations

import json

import yaml

from tests.tooling import TOOLS, tool

CONFIG = yaml.safe_load((TOOLS / "hub" / "z2jh-config.yaml").read_text())
LOAD = json.loads((TOOLS / "hub" / "hub-load.json").read_text())
USER = CONFIG["singleuser"]
HEAVY = "07_why_normalize.ipynb"
UNITS = {"K": 2**10, "M": 2**20, "G": 2**30}  # KubeSpawner's byte units


def _mb(spec: str) -> float:
    """A Kubernetes-style size ("1G") in MB."""
    return float(spec[:-1]) * UNITS[spec[-1]] / 2**20


def _worst(key: str, stat: str) -> float:
    """The largest value of a statistic over every class size measured."""
    return max(r[key][stat] for r in LOAD["results"])


def test_the_measurement_covers_a_class_and_ended_cleanly() -> None:
    assert LOAD["torch"].startswith("2.13.0") and LOAD["commit"]  # the lock's torch, and where it was measured
    sizes = [r["students"] for r in LOAD["results"]]
    assert 1 in sizes and max(sizes) >= 20
    for r in LOAD["results"]:
        assert r["errors"] == [] and r["killed_at_stop"] == [], r["students"]
        assert r["kernel_pss_mb"]["count"] == 2 * r["students"]  # a kernel per notebook per student, all seen


def test_cpu_limits_follow_the_measurement() -> None:
    alone = next(r for r in LOAD["results"] if r["students"] == 1)["run_all_s"][HEAVY]["median"]
    assert USER["cpu"]["limit"] >= 1, "one core: a student alone runs at the measured speed"
    packed = round(LOAD["cpus"] / USER["cpu"]["guarantee"])  # students the guarantee puts on the measured machine
    at = {r["students"]: r for r in LOAD["results"]}
    assert packed in at, f"the guarantee packs {packed} students on {LOAD['cpus']} cores: measure that class size"
    waited = at[packed]["run_all_s"][HEAVY]["p95"]
    assert waited <= 120, f"{packed} students running notebook 07 at once wait {waited:.0f} s (p95), over 2 minutes"
    assert waited > alone  # the measurement saw the sharing


def test_memory_limits_cover_what_a_student_was_seen_to_use() -> None:
    """In resident memory (RSS), which a container is charged, not PSS, which shares library pages out."""
    server = _worst("server_rss_mb", "max")
    assert _mb(USER["memory"]["guarantee"]) >= server + 2 * _worst("kernel_rss_mb", "median")
    assert _mb(USER["memory"]["limit"]) >= server + 3 * _worst("kernel_rss_mb", "max")
    per_student = max((r["machine_used_mb"]["peak"] - r["machine_used_mb"]["idle"]) / r["students"]
                      for r in LOAD["results"])
    assert _mb(USER["memory"]["guarantee"]) >= per_student


def test_the_environment_matches_the_hub_that_was_measured() -> None:
    local = (TOOLS / "hub" / "jupyterhub_config.py").read_text()
    assert USER["extraEnv"] == {"OMP_NUM_THREADS": "1"} and '"OMP_NUM_THREADS": "1"' in local


def test_the_course_is_pulled_into_the_folder_the_tests_use() -> None:
    command = USER["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[0] == "gitpuller" and command[2:] == ["main", tool("hub_local").COURSE]
    assert CONFIG["cull"]["enabled"] and USER["defaultUrl"] == "/lab"

