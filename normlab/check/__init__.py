"""Exercise checkers: call one with your answer to see ✓ or the mistake it recognises (see check.core)."""

from normlab.check.batchnorm import (
    batchnorm1d_2d,
    batchnorm1d_3d,
    batchnorm1d_3d_mean,
    batchnorm1d_affine,
    batchnorm1d_running_var,
    batchnorm2d,
    batchnorm2d_running_mean,
    batchnorm2d_weight_shape,
)
from normlab.check.core import Exercise, Outcome, Verdict, judge
from normlab.check.intro import instance_norm_dims, layer_norm_dims
from normlab.check.layernorm import layernorm_channels, layernorm_tokens, layernorm_weight_shape
from normlab.check.layouts import nhwc_to_nchw, tokens_batchnorm
from normlab.check.running import eval_output, running_mean_update, torch_momentum

__all__ = ["instance_norm_dims", "layer_norm_dims"]
__all__ += ["Exercise", "Outcome", "Verdict", "judge", "batchnorm1d_2d", "batchnorm1d_affine",
            "batchnorm1d_running_var", "batchnorm1d_3d", "batchnorm1d_3d_mean", "batchnorm2d",
            "batchnorm2d_running_mean", "batchnorm2d_weight_shape"]
__all__ += ["layernorm_tokens", "layernorm_channels", "layernorm_weight_shape", "running_mean_update", "torch_momentum",
            "eval_output", "tokens_batchnorm", "nhwc_to_nchw"]
