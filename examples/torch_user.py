"""A PyTorch user's view: build with kerasish, train in a plain torch loop, export.

The model is built with Keras' functional API, but what comes back is a ``torch.nn.Module``:
``parameters()`` for any torch optimizer, ``train()``/``eval()`` for Dropout and
BatchNormalization, a ``state_dict`` with readable keys (``conv.weight``), a generated
``forward`` you can read, and ``torch.export`` / ONNX for deployment. Keras' ``predict`` still
works on the model the torch loop trained.

    python examples/torch_user.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import kerasish as keras
from kerasish import layers


def build() -> keras.Model:
    inputs = keras.Input((12, 12, 1), name="image")
    x = layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    return keras.Model(inputs, layers.Dense(2, name="logits")(x), name="bright_or_dark")


def data(count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Images that are bright (class 1) or dark (class 0), with noise."""
    labels = torch.randint(0, 2, (count,), generator=generator)
    images = torch.rand(count, 12, 12, 1, generator=generator) * 0.5 + 0.5 * labels.view(-1, 1, 1, 1)
    return images, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--out", help="folder for the exported files (default: a temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="kerasish_torch_"))
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)

    model = build()
    print("is a torch.nn.Module:", isinstance(model, torch.nn.Module))
    print("state_dict keys:", list(model.state_dict()))
    print(model.forward_source().strip())

    images, labels = data(256, generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()  # Dropout active, BatchNormalization on batch statistics
    for step in range(30 if args.quick else 150):
        index = torch.randint(0, len(images), (32,), generator=generator)
        loss = F.cross_entropy(model(images[index]), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")
    model.eval()

    test_images, test_labels = data(128, generator)
    with torch.no_grad():
        accuracy = (model(test_images).argmax(1) == test_labels).float().mean().item()
    keras_predictions = model.predict(test_images.numpy(), verbose=0)
    keras_accuracy = float((keras_predictions.argmax(1) == test_labels.numpy()).mean())
    print(f"held-out accuracy: {accuracy:.3f} (torch loop eval) = {keras_accuracy:.3f} (Keras predict)")

    example = (test_images[:4],)
    exported = torch.export.export(model, example)
    with torch.no_grad():
        difference = (exported.module()(*example) - model(*example)).abs().max().item()
    print(f"torch.export: max |difference| {difference:.2e}")
    torch.save(model.state_dict(), out / "weights.pt")
    reloaded = build()
    reloaded.load_state_dict(torch.load(out / "weights.pt"))
    reloaded.eval()
    with torch.no_grad():
        same = torch.equal(reloaded(test_images), model(test_images))
    print("state_dict saved and loaded into a fresh build: same outputs:", same)
    try:
        torch.onnx.export(model, example, str(out / "model.onnx"), verbose=False)
        print("ONNX file written:", (out / "model.onnx").stat().st_size > 0)
    except ImportError as error:  # torch.onnx needs the onnx package
        print("ONNX export skipped:", error)
    np.save(out / "keras_predictions.npy", keras_predictions)


if __name__ == "__main__":
    main()
