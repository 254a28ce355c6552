"""The help pages ship inside the wheel (``erpsync/help``), and an installed
erpsync finds and renders them there, without a source checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from docs_helpers import HELP_DIR, LANGUAGES, REPO_ROOT

PROBE = """
import json
from erpsync.helpdocs import HelpDocs
from erpsync.paths import HELP_DIR, PACKAGE_DIR
page = HelpDocs().render("import-from-erp", "nl", page_url=lambda n, l, f: n,
                         media_url=lambda p: p)
print(json.dumps({"help_dir": str(HELP_DIR), "package_dir": str(PACKAGE_DIR),
                  "title": page.title, "fallback": page.fallback}))
"""


def test_the_wheel_holds_the_help_and_uses_it(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--no-input",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("erpsync-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    expected = {f"erpsync/help/{p.relative_to(HELP_DIR).as_posix()}"
                for p in HELP_DIR.rglob("*") if p.is_file()}
    assert expected and expected <= names, sorted(expected - names)
    assert {f"erpsync/help/{lang}/import-from-erp.md" for lang in LANGUAGES} <= names

    # The unpacked wheel comes first on the path: it, not the checkout, is imported.
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=120)
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout)
    assert Path(found["help_dir"]) == tmp_path / "site" / "erpsync" / "help"
    assert Path(found["package_dir"]) == tmp_path / "site" / "erpsync"
    assert found["title"] == "Importeren vanuit ERP" and not found["fallback"]
