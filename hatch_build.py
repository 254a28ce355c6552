"""Hatch build hook: compile the message catalogs into the wheel.

The .mo files are not committed (.gitignore); this hook compiles every
``locales/<lang>/LC_MESSAGES/*.po`` and adds the result as
``erpsync/locales/<lang>/LC_MESSAGES/*.mo``, next to the .po files the wheel
already ships. Editable installs skip it: erpsync.i18n compiles a catalog in
memory when it finds no up-to-date .mo. Registered in pyproject.toml under
``[tool.hatch.build.targets.wheel.hooks.custom]``; needs Babel at build time
(``[build-system] requires``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    """Compiles ``locales/*/LC_MESSAGES/*.po`` to .mo for wheel builds."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._tmp = Path(tempfile.mkdtemp(prefix="erpsync-mo-"))
        for po in sorted(Path(self.root, "locales").glob("*/LC_MESSAGES/*.po")):
            rel = po.relative_to(self.root).with_suffix(".mo")
            with po.open("rb") as fh:
                # Fuzzy entries stay out, as with `erpsync i18n compile`.
                catalog = read_po(fh)
            mo = self._tmp / rel
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            target = "erpsync/" + rel.as_posix()
            build_data["force_include"][str(mo)] = target
            self.app.display_info(f"compiled {po.relative_to(self.root)} -> {target}")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
