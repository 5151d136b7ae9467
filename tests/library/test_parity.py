"""normlab.functional accepts every input torch.nn.functional accepts (edge cases included), and returns the same."""

import pytest
import torch
import torch.nn.functional as F

import normlab.functional as nlF
from normlab.versions import refuses_empty_group_norm, refuses_eps

z = torch.zeros
EDGE = {  # name: (function name, args, kwargs); each runs through torch's function and normlab's twin
    "1-D empty, running stats of 0": ("batch_norm", (z(0), z(0), z(0) + 1), {"training": True}),
    "1-D empty, running stats of 3": ("batch_norm", (z(0), z(3), z(3) + 1), {"training": True}),
    "1-D empty, eval": ("batch_norm", (z(0), z(3), z(3) + 1), {"training": False}),
    "1-D empty, no stats": ("batch_norm", (z(0), None, None), {"training": True}),
    "1-D empty, only running_mean": ("batch_norm", (z(0), z(2), None), {"training": True}),
    "1-D empty with weight": ("batch_norm", (z(0), None, None, z(5) + 2), {"training": True}),
    "1-D empty integer": ("batch_norm", (torch.zeros(0, dtype=torch.long), None, None), {"training": True}),
    "empty batch, wrong stat size": ("batch_norm", (z(0, 3), z(5), z(5) + 1), {"training": True}),
    "no channels": ("batch_norm", (z(2, 0), z(0), z(0) + 1), {"training": True}),
    "empty batch, half": ("batch_norm", (z(0, 3, dtype=torch.float16), None, None, z(3) + 1), {"training": True}),
    "1-D non-empty, training": ("batch_norm", (z(3), None, None), {"training": True}),
    "0-D": ("batch_norm", (z(()), None, None), {"training": True}),
    "batch of one": ("batch_norm", (z(1, 3), None, None), {"training": True}),
    "batch of one, eval": ("batch_norm", (z(1, 3), z(3), z(3) + 1), {"training": False}),
    "one sample of length 2": ("batch_norm", (torch.randn(1, 3, 2), None, None), {"training": True}),
    "instance empty integer": ("instance_norm", (torch.zeros(0, 3, 2, dtype=torch.long),), {}),
    "instance no length": ("instance_norm", (z(2, 3, 0),), {}),
    "instance empty batch": ("instance_norm", (z(0, 3, 2),), {}),
    "group empty batch": ("group_norm", (z(0, 3), 1), {}),
    "group no channels": ("group_norm", (z(2, 0), 1), {}),
    "group no positions": ("group_norm", (z(2, 4, 0), 2), {}),
    "group no positions, groups not dividing C": ("group_norm", (z(2, 3, 0), 2), {}),
    "layer empty": ("layer_norm", (z(0, 3), (3,)), {}),
    "layer 1-D": ("layer_norm", (torch.randn(4), (4,)), {}),
    "rms empty": ("rms_norm", (z(0, 3), (3,)), {}),
}


def _run(fn, args, kwargs):
    """(output, None) or (None, exception)."""
    args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - comparing what each library refuses
        return None, exc


@pytest.mark.parametrize("name", EDGE)
def test_normlab_accepts_what_torch_accepts(name, ref):
    op, args, kwargs = EDGE[name]
    theirs, torch_error = _run(getattr(F, op), args, kwargs)
    ours, our_error = _run(getattr(nlF, op), args, kwargs)
    if torch_error is None:
        assert our_error is None, f"torch accepts {name}, normlab refused it: {our_error}"
        ref.same(ours, theirs)
    else:
        assert our_error is not None, f"torch refuses {name} ({torch_error}), normlab accepted it"


@pytest.mark.parametrize("eps", [0.0, -1.0, 1e-12])
@pytest.mark.parametrize("training", [True, False])
def test_eps_rule_follows_this_torch(eps, training):
    """The version rule normlab.versions states, checked against the torch installed here."""
    x, stats = torch.randn(4, 3), (torch.zeros(3), torch.ones(3))
    _, torch_error = _run(F.batch_norm, (x, *stats), {"training": training, "eps": eps})
    _, our_error = _run(nlF.batch_norm, (x, *stats), {"training": training, "eps": eps})
    assert (torch_error is not None) == refuses_eps(eps, training) == (our_error is not None)
    if torch_error is not None:
        assert type(our_error) is type(torch_error) or isinstance(our_error, type(torch_error))
        assert str(our_error).startswith(str(torch_error))


def test_eps_rule_by_version():
    assert not refuses_eps(0.0, True, (2, 9)) and not refuses_eps(-1.0, False, (2, 4))
    assert refuses_eps(0.0, False, (2, 10)) and refuses_eps(0.0, True, (2, 11))
    assert refuses_eps(0.0, True, (2, 12)) and not refuses_eps(0.0, False, (2, 12))
    assert refuses_eps(-1e-3, False, (2, 13)) and not refuses_eps(1e-5, True, (2, 13))


@pytest.mark.parametrize("shape", [(2, 0), (2, 0, 3), (2, 4, 0), (0, 4, 0), (2, 3, 0)])
def test_empty_group_norm_rule_follows_this_torch(shape):
    """torch 2.14 refuses GroupNorm with no channels or no positions (normlab.versions), older torch returns empty."""
    args, kwargs = (torch.zeros(shape), 1 if shape[1] != 3 else 2), {}
    _, torch_error = _run(F.group_norm, args, kwargs)
    _, our_error = _run(nlF.group_norm, args, kwargs)
    if shape[1] == 3 and not refuses_empty_group_norm():  # 3 channels in 2 groups: refused by every torch
        assert torch_error is not None and our_error is not None
        return
    assert (torch_error is not None) == refuses_empty_group_norm() == (our_error is not None)
    if torch_error is not None:
        assert isinstance(our_error, type(torch_error)) and str(our_error).startswith(str(torch_error))
