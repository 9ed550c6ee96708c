"""keras.constraints.deserialize."""

from kerasish import constraints


def test_deserialize_names_dicts_and_unknown_names():
    assert isinstance(constraints.deserialize("non_neg"), constraints.NonNeg)
    max_norm = constraints.deserialize({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert isinstance(max_norm, constraints.MaxNorm) and max_norm.max_value == 3 and max_norm.axis == 1
    assert constraints.deserialize("unknown_name") == "unknown_name"
