"""python -m kerasish script.py / kerasish run: the script runs as __main__ with its argv."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from kerasish import cli

SCRIPT = textwrap.dedent(
    """
    import sys
    import keras
    from tensorflow.keras.layers import Dense
    print("name", __name__)
    print("argv", sys.argv[1:])
    print("same", Dense is keras.layers.Dense)
    if "--fail" in sys.argv:
        sys.exit(3)
    """
)


def _run(args, cwd):
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_python_dash_m_runs_script_as_main(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    result = _run([sys.executable, "-m", "kerasish", str(script), "a", "--b=1"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "name __main__" in result.stdout
    assert "argv ['a', '--b=1']" in result.stdout and "same True" in result.stdout
    failing = _run([sys.executable, "-m", "kerasish", str(script), "--fail"], tmp_path)
    assert failing.returncode == 3


def test_console_script_and_module_mode(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "job.py").write_text(SCRIPT)
    result = _run([sys.executable, "-m", "kerasish", "-m", "pkg.job", "x"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "argv ['x']" in result.stdout and "name __main__" in result.stdout
    console = os.path.join(os.path.dirname(sys.executable), "kerasish")
    result = _run([console, "run", str(tmp_path / "pkg" / "job.py"), "y"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "argv ['y']" in result.stdout


def test_cli_usage_errors(capsys, tmp_path):
    assert cli.main([]) == 2
    assert "usage: python -m kerasish script.py" in capsys.readouterr().err
    assert cli.main(["train"]) == 2
    assert "unknown command 'train'" in capsys.readouterr().err
    assert cli.run_main(["--help"]) == 0
    with pytest.raises(FileNotFoundError, match="can't open file"):
        cli.run_main([str(tmp_path / "missing.py")])
