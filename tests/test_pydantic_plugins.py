"""satconf skips pydantic's plugin discovery (and the `importlib.metadata` import it costs)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path


def fresh_python(code: str) -> str:
    """What `code` prints in a new interpreter (sys.modules as a satconf command starts)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_pydantic_takes_only_get_plugins_from_its_loader() -> None:
    """The stand-in offers `get_plugins`; a pydantic that imports more fails here, not for users."""
    from pydantic.plugin import _schema_validator

    tree = ast.parse(inspect.getsource(_schema_validator))
    taken = {alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "_loader"
             for alias in node.names}
    assert taken == {"get_plugins"}


def test_a_whole_dry_run_never_imports_importlib_metadata(launchable_workspace: Path) -> None:
    ws = launchable_workspace
    code = (
        "import sys\n"
        "sys.modules['importlib.metadata'] = None  # any import of it now fails loudly\n"
        "from satconf.cli import main\n"
        f"sys.argv = ['satconf', 'launch', '--dry-run', '--json', '--workspace', {str(ws)!r}]\n"
        "sys.exit(main())\n"
    )
    assert '"--name=stable_audio_tools"' in fresh_python(code)


def test_other_names_still_come_from_pydantics_real_loader() -> None:
    code = (
        "import sys\n"
        "import satconf.schema\n"
        "from pydantic.plugin import _loader\n"
        "print(type(_loader).__name__, list(_loader.get_plugins()), "
        "_loader.PYDANTIC_ENTRY_POINT_GROUP)\n"
    )
    assert fresh_python(code).split() == ["_NoPlugins", "[]", "pydantic"]


def test_a_loader_pydantic_already_imported_is_left_alone() -> None:
    code = (
        "import sys\n"
        "import pydantic.plugin._loader as real\n"
        "import satconf.schema\n"
        "print(sys.modules['pydantic.plugin._loader'] is real)\n"
    )
    assert fresh_python(code).strip() == "True"
