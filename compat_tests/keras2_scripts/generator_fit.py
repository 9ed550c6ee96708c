'''A model fed by generators: fit_generator with ImageDataGenerator augmentation and a
hand-written batch generator, evaluate_generator on a keras.utils.Sequence,
predict_generator, as Keras 2 code did before fit() took generators.
'''
from __future__ import print_function

import math

import numpy as np
from keras.datasets import mnist
from keras.models import Sequential
from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.optimizers import SGD
from keras.preprocessing.image import ImageDataGenerator
from keras.utils import Sequence, to_categorical

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train[..., np.newaxis].astype('float32')
x_test = x_test[..., np.newaxis].astype('float32')
y_train = to_categorical(y_train, 10)
y_test = to_categorical(y_test, 10)


class TestSequence(Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(math.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[batch] / 255., self.y[batch]


def batch_generator(x, y, batch_size):
    while True:
        order = np.random.permutation(len(x))
        for start in range(0, len(x) - batch_size + 1, batch_size):
            idx = order[start:start + batch_size]
            yield x[idx] / 255., y[idx]


datagen = ImageDataGenerator(
    rescale=1. / 255,
    rotation_range=5,
    width_shift_range=0.05,
    height_shift_range=0.05,
    zoom_range=0.05,
    fill_mode='nearest')

model = Sequential()
model.add(Conv2D(8, (3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(10, activation='softmax'))
model.compile(loss='categorical_crossentropy',
              optimizer=SGD(lr=0.05, momentum=0.9, decay=1e-4, nesterov=True),
              metrics=['accuracy'])

test_seq = TestSequence(x_test, y_test, 50)
before = model.evaluate_generator(test_seq, steps=len(test_seq))
print('Initial loss:', before[0])

model.fit_generator(datagen.flow(x_train, y_train, batch_size=32),
                    steps_per_epoch=len(x_train) // 32,
                    epochs=2,
                    validation_data=test_seq,
                    validation_steps=len(test_seq),
                    workers=1)
model.fit_generator(batch_generator(x_train, y_train, 32),
                    samples_per_epoch=len(x_train) // 32, nb_epoch=1, verbose=2)

score = model.evaluate_generator(test_seq, steps=len(test_seq))
probabilities = model.predict_generator(test_seq, steps=len(test_seq))
predicted = probabilities.argmax(axis=-1)
print('Prediction shape:', probabilities.shape)
print('Prediction accuracy:', float(np.mean(predicted == y_test.argmax(axis=-1))))
print('Test loss:', score[0])
print('Test accuracy:', score[1])
