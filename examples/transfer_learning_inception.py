"""Seed scenario 001: a new classifier head on InceptionV3, the base frozen.

The seed asks how ``Model(model.inputs, new_output)`` knows which layers to keep. Answer:
``model.output`` of an application is an ordinary symbolic tensor; calling new layers on it
extends the graph, and ``Model(inputs, outputs)`` walks that graph back from the outputs to the
inputs, so every InceptionV3 layer in between is kept (the same layer objects, shared with the
base model), and a tensor that is not connected to the inputs is an error.

Freezing the base with ``trainable = False`` leaves only the head to train and keeps the base's
BatchNormalization layers in inference mode, so their moving statistics do not move.

By default the base is randomly initialised (``weights=None``) and the data are synthetic
(coloured squares whose class is their colour); random InceptionV3 features carry little, so
the head only starts to learn here. ``--imagenet`` uses Keras' pretrained weights, which
kerasish reads from the Keras cache folder (``~/.keras/models``); it never downloads them.

    python examples/transfer_learning_inception.py [--quick] [--imagenet]
"""

from __future__ import annotations

import argparse

import numpy as np

import kerasish as keras

N_CLASSES = 3


def construct_model(img_size: int, use_imagenet: bool = False) -> tuple[keras.Model, keras.Model]:
    base = keras.applications.InceptionV3(
        include_top=False,
        input_shape=(img_size, img_size, 3),
        weights="imagenet" if use_imagenet else None,
    )
    new_output = keras.layers.GlobalAveragePooling2D()(base.output)
    new_output = keras.layers.Dense(N_CLASSES, activation="softmax")(new_output)
    model = keras.engine.training.Model(base.inputs, new_output)  # the seed's spelling
    return base, model


def coloured_squares(count: int, img_size: int, rng: np.random.Generator) -> tuple:
    """Images in [0, 255] with one bright square whose colour channel is the class."""
    labels = rng.integers(0, N_CLASSES, count)
    images = rng.uniform(0, 60, size=(count, img_size, img_size, 3)).astype("float32")
    for image, label in zip(images, labels):
        top, left = rng.integers(0, img_size // 2, 2)
        image[top:top + img_size // 2, left:left + img_size // 2, label] = 255.0
    return images, np.eye(N_CLASSES, dtype="float32")[labels]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smallest images, fewest steps")
    parser.add_argument("--imagenet", action="store_true", help="Keras' pretrained weights")
    args = parser.parse_args()
    img_size = 75 if args.quick else 150
    samples, epochs = (16, 1) if args.quick else (64, 3)

    base, model = construct_model(img_size, args.imagenet)
    kept = sum(a is b for a, b in zip(model.layers, base.layers))
    print(f"InceptionV3 layers kept: {kept} of {len(base.layers)} (the same objects); new: "
          f"{[layer.name for layer in model.layers[len(base.layers):]]}")
    try:
        keras.Model(keras.Input((img_size, img_size, 3)), model.output)
    except ValueError as error:
        print("an output not connected to the given input:", str(error).split(".")[0])

    base.trainable = False
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print(f"trainable params: {trainable:,} of {model.count_params():,}")

    rng = np.random.default_rng(0)
    images, labels = coloured_squares(samples, img_size, rng)
    images = keras.applications.inception_v3.preprocess_input(images)
    statistics = [w.numpy().copy() for w in base.non_trainable_weights]
    history = model.fit(images, labels, batch_size=8, epochs=epochs, verbose=0)
    print("loss per epoch:", " ".join(f"{loss:.4f}" for loss in history.history["loss"]))
    moved = max(float(np.abs(w.numpy() - before).max())
                for w, before in zip(base.non_trainable_weights, statistics))
    print(f"largest change of a frozen BatchNormalization statistic: {moved}")
    print("class probabilities of 2 images:\n", np.round(model.predict(images[:2], verbose=0), 4))


if __name__ == "__main__":
    main()
