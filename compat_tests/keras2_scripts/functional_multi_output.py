"""A functional model with two outputs (price regression and an "expensive" classifier),
written against tf.keras 2.x: `from tensorflow.keras import layers`."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.models import Model

(x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()

mean = x_train.mean(axis=0)
std = x_train.std(axis=0)
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std
threshold = np.median(y_train)
expensive_train = (y_train > threshold).astype("float32")
expensive_test = (y_test > threshold).astype("float32")

inputs = keras.Input(shape=(13,), name="features")
x = layers.Dense(32, activation="relu")(inputs)
x = layers.Dense(32, activation="relu")(x)
price = layers.Dense(1, name="price")(x)
expensive = layers.Dense(1, activation="sigmoid", name="expensive")(x)
model = Model(inputs=inputs, outputs=[price, expensive])

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss={"price": "mse", "expensive": "binary_crossentropy"},
    loss_weights={"price": 0.01, "expensive": 1.0},
    metrics={"price": ["mae"], "expensive": ["acc"]},
)
print("TensorFlow", tf.__version__)
history = model.fit(
    x_train,
    {"price": y_train, "expensive": expensive_train},
    batch_size=16,
    epochs=8,
    verbose=2,
)
results = model.evaluate(x_test, [y_test, expensive_test], verbose=0, return_dict=True)
print("History keys:", sorted(history.history))
print("Train loss history:", history.history["loss"])
print("Test price mae:", results["price_mae"])
print("Test accuracy:", results["expensive_acc"])
