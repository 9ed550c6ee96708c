'''Reuters newswire topics with an MLP (Keras 2's reuters_mlp.py), trained under the
callbacks people stacked: ModelCheckpoint to .h5, EarlyStopping, ReduceLROnPlateau,
CSVLogger, a LearningRateScheduler-free manual K.set_value on the learning rate, then the
best checkpoint reloaded with load_model.
'''
from __future__ import print_function

import glob
import os

import numpy as np
import keras
from keras import backend as K
from keras.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from keras.datasets import reuters
from keras.layers import Activation, Dense, Dropout
from keras.models import Sequential, load_model
from keras.preprocessing.text import Tokenizer

max_words = 100
batch_size = 32
epochs = 6

print('Loading data...')
(x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=max_words, test_split=0.2)
num_classes = np.max(y_train) + 1
print(num_classes, 'classes')

tokenizer = Tokenizer(num_words=max_words)
x_train = tokenizer.sequences_to_matrix(x_train, mode='binary')
x_test = tokenizer.sequences_to_matrix(x_test, mode='binary')
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = Sequential()
model.add(Dense(64, input_shape=(max_words,)))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

K.set_value(model.optimizer.lr, 0.01)
print('Learning rate set to', K.get_value(model.optimizer.lr))

callbacks = [
    ModelCheckpoint('weights.{epoch:02d}-{val_loss:.2f}.h5', monitor='val_loss',
                    save_best_only=True, verbose=1),
    EarlyStopping(monitor='val_loss', patience=3, verbose=1),
    ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=1, min_lr=1e-4, verbose=1),
    CSVLogger('training.log'),
]
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                    validation_split=0.1, callbacks=callbacks)

checkpoints = sorted(glob.glob('weights.*.h5'), key=os.path.getmtime)
print('Checkpoints:', checkpoints)
best = load_model(checkpoints[-1])
score = best.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print('Final learning rate:', K.get_value(model.optimizer.lr))
print('CSV log lines:', len(open('training.log').read().strip().splitlines()))
print('Train loss history:', history.history['loss'])
print('Test score:', score[0])
print('Test accuracy:', score[1])
