"""What the built-in recurrent layers share (``rnn/cell_core.py``): config keys, in order."""

from kerasish.layers import LSTM, ConvLSTM2D, GRUCell

_BASE = ["name", "trainable", "dtype"]
_SEQUENCE = ["return_sequences", "return_state", "go_backwards", "stateful", "unroll"]
_WEIGHTS = [
    "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
    "bias_constraint",
]


def test_cell_and_layer_configs_list_their_keys_in_a_fixed_order():
    # Written to JSON in this order (model.to_json(), .h5 model_config).
    assert list(GRUCell(2).get_config()) == _BASE + [
        "units", "activation", "use_bias", *_WEIGHTS, "dropout", "recurrent_dropout",
        "recurrent_activation", "reset_after",
    ]
    assert list(LSTM(2, seed=1).get_config()) == _BASE + _SEQUENCE + [
        "units", "activation", "use_bias", *_WEIGHTS, "dropout", "recurrent_dropout", "seed",
        "recurrent_activation", "unit_forget_bias", "activity_regularizer",
    ]


def test_conv_lstm_config_keeps_keras_key_order():
    assert list(ConvLSTM2D(2, 3, seed=1).get_config()) == _BASE + _SEQUENCE + [
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
        "activation", "recurrent_activation", "use_bias", *_WEIGHTS[:3], "unit_forget_bias",
        *_WEIGHTS[3:6], "activity_regularizer", *_WEIGHTS[6:], "dropout", "recurrent_dropout",
        "seed",
    ]
