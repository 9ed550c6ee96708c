import json

import pytest

from kerasish.converter import ConversionError
from kerasish.converter.mapping import KeyMap, read_map


def test_exact_beats_prefix_and_longest_prefix_wins():
    key_map = KeyMap({"dense.bias": "b"}, {"dense.": "fc.", "dense_1.": "head."})
    assert key_map.rename("dense.bias") == "b"
    assert key_map.rename("dense.weight") == "fc.weight"
    assert key_map.rename("dense_1.weight") == "head.weight"
    assert key_map.rename("other.weight") == "other.weight"


def test_inverted_map_round_trips():
    key_map = KeyMap({"a.w": "x.w"}, {"dense.": "fc1."})
    state = {"a.w": 1, "dense.weight": 2, "keep": 3}
    assert key_map.inverted().apply(key_map.apply(state)) == state


def test_collisions_are_refused():
    with pytest.raises(ConversionError, match="two keys to 'fc.weight'"):
        KeyMap(prefixes={"a.": "fc.", "b.": "fc."}).apply({"a.weight": 1, "b.weight": 2})
    with pytest.raises(ConversionError, match="cannot be inverted"):
        KeyMap(prefixes={"a.": "fc.", "b.": "fc."}).inverted()


def test_read_map_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"x": "y", "prefix": {"dense.": "fc."}}))
    key_map = read_map(str(path))
    assert key_map.exact == {"x": "y"} and key_map.prefixes == {"dense.": "fc."}


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "must hold a JSON object"),
    ('{"x": 3}', "must map strings to strings"),
    ("{not json", "Could not read the mapping file"),
])
def test_bad_map_files(tmp_path, text, message):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ConversionError, match=message):
        read_map(str(path))
