"""Where the package's data lives: inside the wheel, or at the repository root
when running from a checkout (an editable install)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = PACKAGE_DIR.parent.parent


def _data_dir(name: str, checkout_path: str | None = None) -> Path:
    """``name`` inside the package (a wheel), else ``checkout_path`` (default:
    ``name``) under the repository root."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else _REPO_ROOT / (checkout_path or name)


TEMPLATES_DIR = _data_dir("templates")
LOCALES_DIR = _data_dir("locales")
#: The admins' help pages (Markdown), one folder per language (docs/help in a checkout).
HELP_DIR = _data_dir("help", "docs/help")
STATIC_DIR = PACKAGE_DIR / "static"
DEMO_DATA_DIR = PACKAGE_DIR / "demo_data"
