"""Quantized dtype policy names (Keras 3's ``<mode>_from_<source>``)."""

import pytest

from kerasish.mixed_precision import policy as policy_lib


@pytest.mark.parametrize(
    "name, class_name, mode, config",
    [
        ("int8_from_float32", "QuantizedDTypePolicy", "int8", {"mode": "int8", "source_name": "float32"}),
        ("int4/128_from_bfloat16", "Int4DTypePolicy", "int4", {"mode": "int4/128", "source_name": "bfloat16"}),
        ("float8_from_float32", "QuantizedFloat8DTypePolicy", "float8",
         {"mode": "float8", "source_name": "float32", "amax_history_length": 1024}),
    ],
)
def test_quantized_policies(name, class_name, mode, config):
    policy = policy_lib.get(name)
    assert type(policy).__name__ == class_name and policy.quantization_mode == mode
    assert policy.get_config() == config
    assert policy_lib.policy_name({"class_name": class_name, "config": config}) == name
    assert policy.compute_dtype == policy.variable_dtype == config["source_name"]
    assert policy_lib.serialize(name)["module"] == "keras.dtype_policies"


def test_quantized_policy_errors():
    with pytest.raises(ValueError, match="doesn't work well with compute_dtype='float16'"):
        policy_lib.policy_name("int8_from_float16")
    with pytest.raises(ValueError, match="valid pair"):
        policy_lib.policy_name("int8_float32")
    with pytest.raises(ValueError, match="Invalid block_size"):
        policy_lib.policy_name("int4/0_from_float32")
    with pytest.raises(NotImplementedError, match="GPTQ"):
        policy_lib.policy_name("gptq/4/128_from_float32")
    with pytest.raises(NotImplementedError, match="mixed precision"):
        policy_lib.policy_name("int8_from_mixed_bfloat16")
    with pytest.raises(NotImplementedError, match="amax_history_length=16"):
        policy_lib.policy_name({"class_name": "QuantizedFloat8DTypePolicy",
                                "config": {"mode": "float8", "source_name": "float32", "amax_history_length": 16}})
