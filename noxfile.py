"""`make test-matrix`: the wheel in the oldest, a middle and the newest stack normlab claims, as a learner gets it.

Each session makes a fresh virtualenv, installs the stack's own pins first (its torch, numpy, matplotlib, ...), then
the wheel from `make dist` with pip resolving its dependencies (and fails if that changed any pinned package), then
d2l with --no-deps. It copies the notebooks out of the installed wheel with `normlab course`, and runs the unit tests
and strict nbval of every notebook against the installed normlab, not this folder's. The torch wheels are the CUDA
builds PyPI serves (several GB per stack), so this stays out of .ci/run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.envdir = str(ROOT / "build" / "nox")  # one virtualenv per stack, kept between runs
nox.options.reuse_venv = "yes"

# The oldest versions normlab claims (pyproject.toml's lower bounds), Python 3.12 with the first numpy 2 and torch 2.14,
# and today's newest releases.
STACKS = {
    "oldest": ("3.11", ["torch==2.4.1", "numpy==1.26.4", "matplotlib==3.9.0", "ipython==8.18.1", "ipywidgets==8.1.0",
                        "ipykernel==6.29.5", "pandas==2.1.4", "scipy==1.11.4", "scikit-learn==1.3.2",
                        "requests==2.31.0", "matplotlib-inline==0.1.6", "pillow==10.0.1", "jupyterlab==4.0.13"]),
    "middle": ("3.12", ["torch==2.14.1", "numpy==2.0.2", "matplotlib==3.9.4", "ipython==8.31.0", "ipywidgets==8.1.5",
                        "ipykernel==6.29.5", "pandas==2.2.3", "scipy==1.14.1", "scikit-learn==1.5.2",
                        "requests==2.32.3", "matplotlib-inline==0.1.7", "pillow==11.0.0", "jupyterlab==4.2.5"]),
    "newest": ("3.13", ["torch==2.15.0", "numpy==2.5.5", "matplotlib==3.11.2", "ipython==9.18.1", "ipywidgets==8.1.9",
                        "ipykernel==7.4.0", "pandas==3.1.1", "scipy==1.17.1", "scikit-learn==1.9.1",
                        "requests==2.34.2", "matplotlib-inline==0.2.2", "pillow==13.0.0", "jupyterlab==4.6.6"]),
}
TEST_TOOLS = ("pytest", "pytest-xdist", "nbval", "hypothesis")  # at the lock's versions, in every stack
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg"]
FREEZE = "import importlib.metadata as m, sys; print(*(f'{n}=={m.version(n)}' for n in sys.argv[1:]))"


def _lock_pins(names: tuple[str, ...]) -> list[str]:
    """The lock's exact pins of these distributions."""
    lines = (ROOT / "requirements-lock.txt").read_text().splitlines()
    pins = {line.split("==")[0].lower(): line.strip() for line in lines if "==" in line and not line.startswith("#")}
    return [pins[name] for name in names]


def _wheel() -> Path:
    """The wheel `make dist` built."""
    wheels = sorted((ROOT / "dist").glob("normlab-*.whl"), key=lambda path: path.stat().st_mtime)
    if not wheels:
        raise RuntimeError("no wheel in dist/: run `make dist` first (make test-matrix does)")
    return wheels[-1]


@nox.session
@nox.parametrize("python,stack", [(python, name) for name, (python, _) in STACKS.items()], ids=list(STACKS))
def matrix(session: nox.Session, stack: str) -> None:
    """Install the stack, then the wheel on top of it, then run unit tests and strict nbval on the installed copy."""
    pins = STACKS[stack][1]
    names = [pin.split("==")[0] for pin in pins]
    # A machine-wide pip constraint (this machine caps torch at 2.14.1) must not hold back the stack's own torch.
    session.env.update(PIP_CONSTRAINT=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", OMP_NUM_THREADS="1")
    session.install(*pins)
    before = session.run("python", "-c", FREEZE, *names, silent=True)
    session.run("python", "-m", "pip", "uninstall", "-q", "-y", "normlab")  # a reused venv holds an older 0.1.0
    session.install(f"{_wheel()}[course]")
    session.install("--no-deps", "-r", str(ROOT / "requirements-nodeps.txt"))
    session.install(*_lock_pins(TEST_TOOLS))
    after = session.run("python", "-c", FREEZE, *names, silent=True)
    if before != after:
        session.error(f"the wheel or the test tools changed the stack:\n  before: {before}\n  after: {after}")
    session.log(f"the wheel left the stack as it was: {after.strip()}")
    # The tests and notebooks run from a scratch folder, so `import normlab` is the installed wheel's.
    work = ROOT / "build" / "matrix" / stack
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__", "browser"))
    shutil.copytree(ROOT / "benchmarks", work / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    session.run("normlab", "course", str(work / "notebooks"))
    session.chdir(work)
    session.run("python", "-c", "import normlab; assert 'site-packages' in normlab.__file__, normlab.__file__")
    session.run("python", "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider", *NBVAL,
                "tests", "notebooks", *session.posargs)
