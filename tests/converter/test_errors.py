import json

import pytest
import torch

from kerasish.cli_convert import main
from kerasish.converter import ConversionError, convert


def test_weights_only_source_needs_config(tmp_path, mlp):
    mlp.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ConversionError, match="holds weights only.*--config"):
        convert.to_torch(str(tmp_path / "m.weights.h5"), str(tmp_path / "m.pt"))


def test_weights_only_file_is_not_a_config(tmp_path, mlp):
    mlp.save_weights(tmp_path / "m.weights.h5")
    torch.save(mlp.state_dict(), tmp_path / "m.pt")
    with pytest.raises(ConversionError, match="needs a model architecture"):
        convert.to_keras(str(tmp_path / "m.pt"), str(tmp_path / "m.weights.h5"),
                         str(tmp_path / "o.h5"))


def test_unknown_layer_type_names_it(tmp_path, mlp, capsys):
    document = json.loads(mlp.to_json())
    document["config"]["layers"][1]["class_name"] = "FancyDense"
    (tmp_path / "bad.json").write_text(json.dumps(document))
    torch.save(mlp.state_dict(), tmp_path / "m.pt")
    code = main(["to-keras", str(tmp_path / "m.pt"), "--config", str(tmp_path / "bad.json"),
                 str(tmp_path / "o.h5")])
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "FancyDense" in err


def test_shape_mismatch_names_key_layer_and_both_shapes(tmp_path, mlp):
    (tmp_path / "m.json").write_text(mlp.to_json())
    state = {k: v.detach().clone() for k, v in mlp.state_dict().items()}
    state["hidden.weight"] = torch.zeros(6, 5)
    torch.save(state, tmp_path / "m.pt")
    with pytest.raises(ConversionError) as info:
        convert.to_keras(str(tmp_path / "m.pt"), str(tmp_path / "m.json"), str(tmp_path / "o.h5"))
    message = str(info.value)
    assert "'hidden.weight'" in message and "layer 'hidden'" in message
    assert "(5, 6)" in message and "(6, 5)" in message


def test_missing_and_unexpected_keys_are_listed(tmp_path, mlp):
    (tmp_path / "m.json").write_text(mlp.to_json())
    state = {k: v.detach().clone() for k, v in mlp.state_dict().items()}
    state["fc.weight"] = state.pop("out.weight")
    torch.save(state, tmp_path / "m.pt")
    with pytest.raises(ConversionError, match=r"Missing: \['out.weight'\]\. Unexpected: \['fc.weight'\]"):
        convert.to_keras(str(tmp_path / "m.pt"), str(tmp_path / "m.json"), str(tmp_path / "o.h5"))


def test_unreadable_files(tmp_path, mlp):
    (tmp_path / "junk.h5").write_bytes(b"garbage")
    (tmp_path / "junk.pt").write_bytes(b"garbage")
    (tmp_path / "m.json").write_text(mlp.to_json())
    with pytest.raises(ConversionError, match="neither a `.keras` zip nor an HDF5 file"):
        convert.to_torch(str(tmp_path / "junk.h5"), str(tmp_path / "o.pt"))
    with pytest.raises(ConversionError, match="Could not read '.*junk.pt' as a torch state_dict"):
        convert.to_keras(str(tmp_path / "junk.pt"), str(tmp_path / "m.json"), str(tmp_path / "o.h5"))
    with pytest.raises(ConversionError, match="No file found at"):
        convert.to_torch(str(tmp_path / "absent.h5"), str(tmp_path / "o.pt"))


def test_non_state_dict_pickle(tmp_path, mlp):
    (tmp_path / "m.json").write_text(mlp.to_json())
    torch.save([torch.zeros(2)], tmp_path / "list.pt")
    with pytest.raises(ConversionError, match="does not hold a state_dict"):
        convert.to_keras(str(tmp_path / "list.pt"), str(tmp_path / "m.json"), str(tmp_path / "o.h5"))


def test_unknown_output_format(tmp_path, mlp):
    (tmp_path / "m.json").write_text(mlp.to_json())
    torch.save(mlp.state_dict(), tmp_path / "m.pt")
    with pytest.raises(ConversionError, match="Cannot tell which Keras format"):
        convert.to_keras(str(tmp_path / "m.pt"), str(tmp_path / "m.json"), str(tmp_path / "o.ckpt"))
