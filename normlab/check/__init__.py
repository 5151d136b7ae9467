"""Exercise checkers: call one with your answer to see ✓ or the mistake it recognises (see check.core).

Compute exercises take a value, predictions a number or a word; find-the-bug, derive and design tasks take the
learner's function.
"""

from normlab.check.backward import batchnorm_backward, bug_backward, predict_shifted_input
from normlab.check.batches import bug_sync_backward, combine_by_hand, predict_accumulation
from normlab.check.batchnorm import (
    batchnorm1d_3d,
    batchnorm1d_affine,
    batchnorm2d,
)
from normlab.check.bugs import (
    bug_batch_norm,
    bug_channel_loop,
    bug_comparison,
    bug_layer_norm,
    bug_nhwc,
    bug_predict,
)
from normlab.check.core import Exercise, judge, prediction
from normlab.check.deploy import bug_fold, fold_next_by_hand, predict_overflow
from normlab.check.family import bug_group_norm, design_norm, predict_instance_eval
from normlab.check.functions import Case, FunctionExercise
from normlab.check.intro import instance_norm_dims, layer_norm_dims
from normlab.check.layernorm import layernorm_channels, layernorm_weight_shape
from normlab.check.layouts import tokens_batchnorm
from normlab.check.lore import conv_bn_block, masked_batch_norm
from normlab.check.predictions import (
    predict_batch_dependence,
    predict_channels_last,
    predict_d2l_moving_var,
    predict_groups,
    predict_no_grad,
    predict_running_var,
    predict_values_per_mean,
)
from normlab.check.quiz import (
    predict_dead_bias,
    predict_folded_parameters,
    predict_gradient_of_sum,
    predict_mode_after_train,
    predict_sync_count,
)
from normlab.check.running import eval_output, running_var_two_steps, torch_momentum
from normlab.check.state import bug_freeze, predict_state_dict_keys
from normlab.check.verdict import Outcome, Verdict
from normlab.check.why import bug_train_and_report, design_norm_for_batch_of_2, predict_bn_largest_lr

__all__ = ["Exercise", "FunctionExercise", "Case", "Outcome", "Verdict", "judge", "prediction"]
__all__ += ["instance_norm_dims", "layer_norm_dims", "batchnorm1d_affine",
            "batchnorm1d_3d", "batchnorm2d",
            "layernorm_channels", "layernorm_weight_shape",
            "running_var_two_steps", "torch_momentum", "eval_output", "tokens_batchnorm"]
__all__ += ["predict_groups", "predict_running_var", "predict_values_per_mean", "predict_d2l_moving_var",
            "predict_batch_dependence", "predict_no_grad", "predict_channels_last"]
__all__ += ["batchnorm_backward", "bug_backward", "predict_shifted_input"]
__all__ += ["predict_bn_largest_lr", "design_norm_for_batch_of_2", "bug_train_and_report"]
__all__ += ["conv_bn_block", "masked_batch_norm"]
__all__ += ["bug_layer_norm", "bug_batch_norm", "bug_channel_loop", "bug_comparison",
            "bug_predict", "bug_nhwc"]
__all__ += ["bug_group_norm", "predict_instance_eval", "design_norm", "predict_state_dict_keys",
            "bug_freeze"]
__all__ += ["combine_by_hand", "bug_sync_backward", "predict_accumulation"]
__all__ += ["fold_next_by_hand", "bug_fold", "predict_overflow"]
__all__ += ["predict_dead_bias", "predict_gradient_of_sum", "predict_mode_after_train", "predict_sync_count",
            "predict_folded_parameters"]
