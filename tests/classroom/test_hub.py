"""A class on a real JupyterHub (tools/hub_local.py, as `make hub` starts it): three students log in with the class
password, get the course through nbgitpuller from a git repository of the student edition, run a notebook each in
their own kernel, and keep their edits when the instructor publishes an update. Stopping the hub ends every process
it started: the proxy, the students' servers and their kernels, each checked by process id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.tooling import tool

hub_local, hub_client = tool("hub_local"), tool("hub_client")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("ada", "grace", "emmy")
COURSE = hub_local.COURSE
FIRST, EDITED, DELETED = "00_one_idea_normalize.ipynb", "01_batchnorm1d_2d_input.ipynb", "02_batchnorm1d_3d_input.ipynb"
MY_ANSWER = "prediction = 3  # ada's own answer"
pytestmark = pytest.mark.xdist_group("hub")  # one hub for this file's tests (make test-class: --dist loadgroup)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The course repository and a running hub (a hub_local.Hub); stopped at the end whatever happened."""
    tmp = tmp_path_factory.mktemp("hub")
    repo = hub_local.course_repo(NOTEBOOKS, tmp / COURSE)
    running = hub_local.start_hub(tmp / "state")
    running.repo = repo
    yield running
    running.stop()


def _log_in(hub: Any) -> dict[str, Any]:
    """The three students, logged in through the hub's form, each with their server started."""
    class_ = {name: hub_client.Student(hub.url, name) for name in NAMES}
    for student in class_.values():
        student.login(hub.password)
        student.start_server()
    return class_


def _home(hub: Any, name: str) -> Path:
    """A student's home folder on the hub."""
    return hub.state / "home" / name


def test_a_wrong_password_is_refused(hub: Any) -> None:
    with pytest.raises(RuntimeError, match="refused the login"):
        hub_client.Student(hub.url, "mallory").login(hub.password + "x")


def _each_student_gets_the_course_through_nbgitpuller(hub: Any, students: dict[str, Any]) -> None:
    expected = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    for name, student in students.items():
        student.pull(hub.repo.as_uri(), COURSE)
        assert sorted(p.name for p in (_home(hub, name) / COURSE).glob("*.ipynb")) == expected
        nb = student.read(f"{COURSE}/{FIRST}")  # the student edition: no collapsed solution
        assert not any(c.source.startswith("<details><summary>Solution") for c in nb.cells)


def _a_notebook_runs_in_each_students_own_kernel(hub: Any, students: dict[str, Any]) -> None:
    with ThreadPoolExecutor(len(students)) as pool:  # at once, as a class does
        runs = dict(zip(students, pool.map(lambda s: s.run(f"{COURSE}/{FIRST}"), students.values()), strict=True))
    pids = {run.kernel_pid for run in runs.values()}
    assert None not in pids and len(pids) == len(NAMES), "each student needs a kernel of their own"
    n_code = sum(c.cell_type == "code" for c in students["ada"].read(f"{COURSE}/{FIRST}").cells)
    for name, run in runs.items():
        errors = [c.error for c in run.cells if c.error]
        assert not errors and len(run.cells) == n_code, f"{name}: {errors}"
        verdicts = [c.text for c in run.cells if c.text.startswith(("✓", "✗"))]
        assert verdicts and all(v.startswith("✗") for v in verdicts), f"{name}: a checker passed with no answer"
        assert any("no answer yet" in v for v in verdicts)
    for name, run in runs.items():  # the kernel ran in that student's copy of the course, and it has ended
        assert Path(run.kernel_cwd) == (_home(hub, name) / COURSE).resolve()
        assert hub_local.alive(run.kernel_pid) is None, f"{name}: the kernel outlived its session"


def _an_update_arrives_and_the_students_work_is_kept(hub: Any, students: dict[str, Any]) -> None:
    ada = students["ada"]
    nb = ada.read(f"{COURSE}/{EDITED}")
    attempt = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("prediction = None"))
    attempt.source = attempt.source.replace("prediction = None", MY_ANSWER, 1)
    ada.save(f"{COURSE}/{EDITED}", nb)
    (_home(hub, "emmy") / COURSE / DELETED).unlink()  # a student deletes a notebook by mistake

    # The instructor fixes the title of the notebook ada edited (another cell) and adds an errata page.
    source = hub.repo / EDITED
    book = json.loads(source.read_text())
    title = next(c for c in book["cells"] if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("# "))
    fix = "\n\n*Updated by the instructor: a clearer title.*"
    title["source"] = "".join(title["source"]) + fix
    source.write_text(json.dumps(book, indent=1, ensure_ascii=False) + "\n")
    (hub.repo / "ERRATA.md").write_text("# Errata\n\nNotebook 01's title was made clearer.\n")
    hub_local.commit_all(hub.repo, "an update: a clearer title, and errata")

    for student in students.values():
        student.pull(hub.repo.as_uri(), COURSE)
    mine = ada.read(f"{COURSE}/{EDITED}")
    assert any(MY_ANSWER in c.source for c in mine.cells), "the student's edit was lost"
    assert any(fix.strip() in c.source for c in mine.cells), "the update did not reach the edited notebook"
    for name in NAMES:
        folder = _home(hub, name) / COURSE
        assert (folder / "ERRATA.md").exists(), f"{name}: the new file did not arrive"
        assert (folder / DELETED).exists(), f"{name}: a deleted notebook is restored by the pull"
        if name != "ada":
            assert fix.strip() in (folder / EDITED).read_text()
            assert MY_ANSWER not in (folder / EDITED).read_text(), "one student's work reached another"


def _stopping_the_hub_ends_every_process_it_started(hub: Any) -> None:
    tree = hub.processes()
    names = " ".join(p.name() for p in tree)
    assert "node" in names and names.count("jupyterhub-sing") == len(NAMES), names
    started = dict(hub.seen)
    killed = hub.stop()
    assert killed == [], f"processes that did not end when the hub stopped: {killed}"
    assert [pid for pid, created in started.items() if hub_local.alive(pid, created)] == []
    assert hub.process.poll() is not None


def test_a_class_of_three_on_a_real_hub(hub: Any) -> None:
    """The steps in order (they share the hub's state): log in, pull, run, update, stop."""
    students = _log_in(hub)
    _each_student_gets_the_course_through_nbgitpuller(hub, students)
    _a_notebook_runs_in_each_students_own_kernel(hub, students)
    _an_update_arrives_and_the_students_work_is_kept(hub, students)
    _stopping_the_hub_ends_every_process_it_started(hub)
