"""Recurrent layers: RNN and its cells, SimpleRNN, LSTM, GRU, ConvLSTM, Bidirectional."""

from kerasish.layers.rnn.base_rnn import RNN
from kerasish.layers.rnn.bidirectional import Bidirectional
from kerasish.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerasish.layers.rnn.gru import GRU, GRUCell
from kerasish.layers.rnn.lstm import LSTM, LSTMCell
from kerasish.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from kerasish.layers.rnn.stacked_rnn_cells import StackedRNNCells

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
]
