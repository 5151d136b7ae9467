"""The tree is the architecture: the library loads torch only, the registries are derived, and the families table is
the one place that says which dims each layer reduces over (import-linter checks the imports in `make lint`)."""

import subprocess
import sys
import warnings

import pytest
import torch
from torch import nn

import normlab
from normlab import check, families
from normlab import nn as nlnn

HEAVY = ("matplotlib", "IPython", "ipywidgets", "d2l", "sklearn")


@pytest.mark.parametrize("module", ["normlab.nn", "normlab.functional", "normlab.auditing", "normlab.deploy",
                                    "normlab.frozen"])
def test_the_library_loads_none_of_the_course_packages(module):
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert loaded.stdout.strip() == "", f"import {module} loaded {loaded.stdout.strip()}"


def test_every_module_and_subpackage_is_reachable_lazily():
    for name in ("lessons", "pictures", "widgets", "check", "course", "families", "stats", "fast"):
        assert getattr(normlab, name).__name__ == f"normlab.{name}"
    assert normlab.normalize is normlab.core.normalize and normlab.audit is normlab.auditing.audit
    with pytest.raises(AttributeError):
        normlab.nothing_here  # noqa: B018


def test_the_checkers_are_found_not_listed():
    assert len(check.EXERCISES) == 51
    assert all(callable(e) and name in check.__all__ for name, e in check.EXERCISES.items())
    assert not {"broken", "reference", "slips", "judge"} & set(check.EXERCISES)


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm",
                                  "GroupNorm", "RMSNorm", "SyncBatchNorm"])
def test_the_table_gives_each_layer_of_normlab_nn_the_ranks_torch_accepts(name):
    layer = families.layer(name)
    ranks = layer.accepts or (2, 3, 4, 5)
    for ndim in range(1, 6):
        shape = (2, 4, 4, 4, 4)[:ndim]
        args = {"GroupNorm": (2, 4), "LayerNorm": (shape[-1],), "RMSNorm": (shape[-1],)}.get(name, (4,))
        ours = getattr(nlnn, name)(*args)
        takes = _takes(ours, torch.randn(shape))
        if name == "SyncBatchNorm":  # torch's refuses CPU inside a process group, not outside one
            assert takes == (ndim >= 2), ndim
            continue
        assert takes == _takes(getattr(nn, name)(*args), torch.randn(shape)), (name, ndim)
        if layer.ranks:
            assert takes == (ndim in ranks), (name, ndim)


def _takes(module: torch.nn.Module, x: torch.Tensor) -> bool:
    """Does module(x) run in training?"""
    with warnings.catch_warnings():  # torch's InstanceNorm warns that an unbatched C differs from num_features
        warnings.simplefilter("ignore")
        try:
            module.train()(x)
        except (ValueError, RuntimeError):
            return False
    return True


@pytest.mark.parametrize("ndim", [2, 3, 4, 5])
def test_the_table_gives_the_dims_torch_reduces_over(ndim):
    x = torch.randn((3, 4, 5, 2, 3)[:ndim], dtype=torch.float64)
    for name, torch_norm in (("BatchNorm", lambda t: nn.functional.batch_norm(t, None, None, training=True)),
                             ("InstanceNorm", nn.functional.instance_norm),
                             ("LayerNorm", lambda t: nn.functional.layer_norm(t, t.shape[-1:]))):
        if name == "InstanceNorm" and ndim < 3:
            continue
        assert torch.allclose(normlab.normalize(x, families.reduces(name, ndim)), torch_norm(x), atol=1e-8), name


def test_the_table_prints():
    text = families.table()
    assert text.splitlines()[0].split()[:2] == ["layer", "input"]
    assert all(name in text for name in families.LAYERS)
