"""Exercise checkers: call one with your answer to see ✓ or the mistake it recognises (see check.core)."""

from normlab.check.batchnorm import (
    batchnorm1d_2d,
    batchnorm1d_3d,
    batchnorm1d_3d_mean,
    batchnorm1d_running_var,
    batchnorm2d,
    batchnorm2d_running_mean,
    batchnorm2d_weight_shape,
)
from normlab.check.core import Exercise, Outcome, Verdict, judge
from normlab.check.intro import instance_norm_dims, layer_norm_dims

__all__ = ["instance_norm_dims", "layer_norm_dims"]
__all__ += ["Exercise", "Outcome", "Verdict", "judge", "batchnorm1d_2d", "batchnorm1d_running_var", "batchnorm1d_3d",
           "batchnorm1d_3d_mean", "batchnorm2d", "batchnorm2d_running_mean", "batchnorm2d_weight_shape"]
