import json
import runpy
from pathlib import Path

import kerasish as keras

TOOL = Path(__file__).resolve().parents[2] / "tools" / "show_model.py"


def test_prints_summary_and_forward(tmp_path, capsys, monkeypatch):
    inp = keras.Input(shape=(3,), name="x")
    model = keras.Model(inp, keras.layers.Dense(2, name="out")(inp), name="tiny")
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"class_name": "Functional", "config": model.get_config()}))
    monkeypatch.setattr("sys.argv", ["show_model.py", str(path)])
    try:
        runpy.run_path(str(TOOL), run_name="__main__")
    except SystemExit as exit_:
        assert exit_.code == 0
    out = capsys.readouterr().out
    assert 'Model: "tiny"' in out and "Total params: 8" in out
    assert "def forward(self, x, training = None):" in out and "self.out(x)" in out
