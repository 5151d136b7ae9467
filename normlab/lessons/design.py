"""Pick the norm of a small segmentation network trained on 2 images at a time: measure what a choice does.

The network puts `make_norm(C)` after each 3×3 convolution of C = 16 feature maps; it trains on batches of 2 crops
of 32×32 and runs on whole 48×64 frames. `measure(make_norm)` feeds the layer such activations and measures five
properties it needs there; `report` prints them. Each measurement is a plain number, so a test (and the checker
of notebook 09) can say which property a layer lacks without naming the layer that has them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["CHANNELS", "CROP", "FRAME", "PROPERTIES", "Measures", "measure", "report"]

CHANNELS, CROP, FRAME = 16, (32, 32), (48, 64)
PROPERTIES = {  # key: what the network needs, as the report's rows say it
    "alone": "an image's output does not depend on the other image of the batch",
    "eval": "the same output in train and in eval mode",
    "size": f"runs on a {FRAME[0]}×{FRAME[1]} frame after {CROP[0]}×{CROP[1]} crops",
    "contrast": "keeps how strongly one feature map responds, relative to the others",
    "scale": "removes the input's scale: 10·x gives the output of x",
}
TOL = 1e-4


@dataclass(frozen=True)
class Measures:
    """What the layer did: max |change| of image 0, train vs eval, the error on a frame, contrast kept, scale left."""

    alone: float
    eval: float
    size: str
    contrast: float
    scale: float

    def passed(self) -> dict[str, bool]:
        """Each property: does the layer have it?"""
        return {"alone": self.alone < TOL, "eval": self.eval < TOL, "size": not self.size,
                "contrast": self.contrast > 0.1, "scale": self.scale < 1e-3}


def _activations(shape: tuple[int, int], seed: int) -> torch.Tensor:
    """Two images' feature maps (2, C, H, W), mean 0 and std 1 per map, as a convolution might hand them on."""
    return torch.randn(2, CHANNELS, *shape, generator=torch.Generator().manual_seed(seed))


def _contrast(layer: nn.Module, x: torch.Tensor) -> float:
    """How much more map 0 stands out after the layer when it responds 2 higher in image 1 than in image 0."""
    pair = torch.stack([x[0], x[0]])
    pair[1, 0] += 2.0  # image 1: the same, but feature map 0 responds more strongly everywhere
    out = layer(pair)
    stands_out = out[:, 0].mean((1, 2)) - out[:, 1:].mean((1, 2, 3))  # map 0 against the others, per image
    return (stands_out[1] - stands_out[0]).abs().item()


@torch.no_grad()
def measure(make_norm: Callable[[int], nn.Module]) -> Measures:
    """Build make_norm(C) and measure the five properties on seeded activations (raises what the layer raises)."""
    torch.manual_seed(0)
    layer = make_norm(CHANNELS)
    if not isinstance(layer, nn.Module):
        raise TypeError(f"make_norm({CHANNELS}) returned {type(layer).__name__}, not a torch.nn layer")
    layer.train()
    x = _activations(CROP, 1)
    other = x.clone()
    other[1] = _activations(CROP, 2)[1]  # the same image 0, another image 1
    alone = (layer(x)[0] - layer(other)[0]).abs().max().item()
    for seed in range(3, 8):  # some training steps, then the same batch in train and in eval mode
        layer(_activations(CROP, seed) * 2 + 1)
    train_out = layer(x)
    eval_gap = (layer.eval()(x) - train_out).abs().max().item()
    layer.train()
    try:
        layer(_activations(FRAME, 9))
        size = ""
    except (RuntimeError, ValueError) as err:
        size = str(err).splitlines()[0]
    scale = (layer(10 * x) - layer(x)).abs().max().item()
    return Measures(alone, eval_gap, size, _contrast(layer, x), scale)


def report(make_norm: Callable[[int], nn.Module] | None) -> None:
    """Print, property by property, whether make_norm's layer has it and the number that shows it."""
    if isinstance(make_norm, nn.Module):
        raise TypeError("design.report(make_norm): pass the function that builds the layer, e.g. "
                        "lambda c: nn.GroupNorm(4, c), not a layer it built.")
    if make_norm is None or make_norm(CHANNELS) is None:
        print("no layer yet: make_norm returns None")
        return
    try:
        m = measure(make_norm)
    except (RuntimeError, ValueError, TypeError) as err:
        print(f"make_norm({CHANNELS})'s layer raised on a batch of 2 crops: {str(err).splitlines()[0]}")
        return
    passed = m.passed()
    shown = {"alone": f"image 0 moves by {'< 1e-4' if passed['alone'] else f'{m.alone:.2f}'}",
             "eval": f"eval differs by {'< 1e-4' if passed['eval'] else f'{m.eval:.2f}'}",
             "size": "runs" if passed["size"] else f"fails: {m.size[:60]}",
             "contrast": f"map 0 stands out by {m.contrast:.2f} more",
             "scale": f"10·x changes it by {'< 1e-3' if passed['scale'] else f'{m.scale:.2f}'}"}
    print(f"make_norm({CHANNELS}) = {make_norm(CHANNELS)}")
    for key, words in PROPERTIES.items():
        print(f"{'✓' if passed[key] else '✗'} {words:68} {shown[key]}")
