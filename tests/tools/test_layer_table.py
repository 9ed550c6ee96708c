import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_layer_table_is_current():
    spec = importlib.util.spec_from_file_location("layer_table", ROOT / "tools" / "layer_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.table()
    assert "`Dense`" in expected and "`LSTM`" in expected
    assert (ROOT / "docs" / "layers.md").read_text() == expected, (
        "docs/layers.md is stale: run `python tools/layer_table.py > docs/layers.md`"
    )
