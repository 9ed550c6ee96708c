"""The time loop every recurrent layer shares, and Keras' rules for masked steps.

Keras (3, and tf.keras before it) gives a masked time step this meaning:

* the states keep their previous values;
* the output repeats the previous step's output (zeros before the first unmasked step), or is
  zeros when ``zero_output_for_mask``;
* ``go_backwards`` walks the steps last to first and returns the outputs in that walking order.

Built-in layers hand this loop inputs already projected for all steps at once, so a step costs
only the recurrent matmul; user cells get the raw step inputs.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch

Step = Callable[[torch.Tensor, list], "tuple[torch.Tensor, list]"]


def run(
    step: Step,
    inputs: torch.Tensor,
    states: list,
    mask: Optional[torch.Tensor] = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
    return_sequences: bool = False,
) -> tuple[torch.Tensor, Optional[torch.Tensor], list]:
    """Run ``step(x_t, states) -> (output, new_states)`` over axis 1 of ``inputs``.

    ``mask`` is boolean ``(batch, time, ...)``; axes after time broadcast against the step's
    output and states. Returns the last output, the stacked outputs (only with
    ``return_sequences``) and the final states.
    """
    steps = inputs.unbind(1)  # views, no copy; reversed below without flipping the data
    masks = mask.unbind(1) if mask is not None else None
    order = range(len(steps) - 1, -1, -1) if go_backwards else range(len(steps))
    outputs = []
    output: Optional[torch.Tensor] = None
    for t in order:
        new_output, new_states = step(steps[t], states)
        if masks is None:
            output, states = new_output, list(new_states)
        else:
            keep = masks[t]
            if zero_output_for_mask or output is None:
                fallback = torch.zeros_like(new_output)
            else:
                fallback = output
            output = torch.where(_broadcastable(keep, new_output), new_output, fallback)
            states = [
                torch.where(_broadcastable(keep, new), new, old)
                for new, old in zip(new_states, states)
            ]
        if return_sequences:
            outputs.append(output)
    sequence = torch.stack(outputs, dim=1) if return_sequences else None
    return output, sequence, states


def _broadcastable(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The step mask ``(batch, ...)`` with trailing axes added to broadcast against ``like``."""
    return keep.view(keep.shape + (1,) * (like.ndim - keep.ndim))


def dropout_masks(
    like: torch.Tensor,
    rate: float,
    count: Optional[int],
    generator: Optional[torch.Generator],
) -> torch.Tensor:
    """Inverted-dropout masks shaped like ``like`` (``count`` of them, stacked, if given).

    Keras draws these once per sequence and reuses them at every step.
    """
    shape = tuple(like.shape) if count is None else (count,) + tuple(like.shape)
    if generator is None:
        keep = torch.empty(shape, dtype=like.dtype, device=like.device).bernoulli_(1 - rate)
    else:
        # A seeded generator lives on the CPU; the mask is drawn there and moved once.
        keep = torch.empty(shape, dtype=like.dtype).bernoulli_(1 - rate, generator=generator)
        keep = keep.to(like.device)
    return keep / (1 - rate)
