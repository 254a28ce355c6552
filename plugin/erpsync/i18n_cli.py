"""``erpsync i18n``: the translators' and developers' commands (extract, update,
compile, check, stats). Their output is English on purpose: they are tools for
the people who write the catalogs, not for CRM admins.

The lead attaches :data:`i18n_group` to the main command line::

    main.add_command(i18n_group)
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import i18n_tools as tools
from .i18n import LANGUAGE_NAMES

_LOCALE_OPTION = click.option(
    "--locale", "-l", "locales", multiple=True, metavar="CODE",
    help="Only this catalog (directory name under locales/, e.g. nl or no). Repeatable.")


def _project(ctx: click.Context) -> tools.Project:
    return ctx.ensure_object(dict)["project"]


def _locales(project: tools.Project, given: tuple[str, ...]) -> tuple[str, ...]:
    for code in given:
        if code not in project.locales:
            raise click.BadParameter(
                f"{code!r} is not one of {', '.join(project.locales)}", param_hint="--locale")
    return given or project.locales


@click.group("i18n")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Source checkout to work in (default: the one erpsync runs from).")
@click.pass_context
def i18n_group(ctx: click.Context, root: Path | None) -> None:
    """Extract, merge, compile and check the erpsync message catalogs.

    The usual round: extract, update, translate the .po files, check, compile.
    See docs/translating.md.
    """
    ctx.ensure_object(dict)["project"] = tools.Project.from_checkout(root)


@i18n_group.command("extract")
@click.pass_context
def extract_cmd(ctx: click.Context) -> None:
    """Write locales/erpsync.pot from the Python sources and templates."""
    project = _project(ctx)
    try:
        result = tools.extract(project)
    except tools.I18nToolError as exc:
        raise click.ClickException(str(exc)) from exc
    state = "written" if result.written else "unchanged"
    click.echo(f"{project.rel(result.path)}: {result.messages} messages ({state})")


@i18n_group.command("update")
@_LOCALE_OPTION
@click.option("--no-fuzzy-matching", is_flag=True,
              help="Do not pre-fill new messages with fuzzy guesses from similar old ones.")
@click.option("--drop-obsolete", is_flag=True,
              help="Remove obsolete (#~) entries instead of keeping them.")
@click.pass_context
def update_cmd(ctx: click.Context, locales: tuple[str, ...], no_fuzzy_matching: bool,
               drop_obsolete: bool) -> None:
    """Merge the template into each catalog, creating missing ones.

    Translations are kept, removed messages become obsolete. The English
    catalog gets msgstr = msgid for every new message, so it is complete.
    """
    project = _project(ctx)
    try:
        results = tools.update(project, _locales(project, locales),
                               fuzzy_matching=not no_fuzzy_matching,
                               drop_obsolete=drop_obsolete)
    except tools.I18nToolError as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        what = "created" if r.created else ("updated" if r.written else "unchanged")
        extra = f", {r.filled} filled from msgid" if r.filled else ""
        click.echo(f"{project.rel(r.path)}: {what} ({r.added} new, {r.obsolete} obsolete{extra})")


@i18n_group.command("compile")
@_LOCALE_OPTION
@click.option("--use-fuzzy", is_flag=True, help="Include fuzzy translations.")
@click.pass_context
def compile_cmd(ctx: click.Context, locales: tuple[str, ...], use_fuzzy: bool) -> None:
    """Compile each .po into the .mo next to it (the .mo files are not committed)."""
    project = _project(ctx)
    try:
        results = tools.compile_catalogs(project, _locales(project, locales),
                                         use_fuzzy=use_fuzzy)
    except tools.I18nToolError as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        click.echo(f"{project.rel(r.path)}: {r.translated} of {r.total} messages translated")


@i18n_group.command("check")
@_LOCALE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Fail on warnings (obsolete entries) too.")
@click.option("--no-sources", is_flag=True,
              help="Skip extracting the sources to see whether the template is stale.")
@click.pass_context
def check_cmd(ctx: click.Context, locales: tuple[str, ...], as_json: bool, strict: bool,
              no_sources: bool) -> None:
    """Report untranslated, fuzzy and obsolete entries, placeholder mismatches
    and a stale template. Exits 1 when anything must be fixed."""
    project = _project(ctx)
    report = tools.check(project, _locales(project, locales), check_sources=not no_sources)
    if as_json:
        click.echo(json.dumps(report.to_dict(strict), indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report, strict))
    ctx.exit(0 if report.ok(strict) else 1)


@i18n_group.command("stats")
@_LOCALE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@click.pass_context
def stats_cmd(ctx: click.Context, locales: tuple[str, ...], as_json: bool) -> None:
    """How far each catalog is translated (never fails on findings)."""
    project = _project(ctx)
    report = tools.check(project, _locales(project, locales), check_sources=False)
    if as_json:
        data = {loc: {**rep.stats_dict(), "exists": rep.exists}
                for loc, rep in report.locales.items()}
        click.echo(json.dumps(data, indent=2))
        return
    for loc, rep in report.locales.items():
        click.echo(_stats_line(loc, rep))


def _stats_line(locale: str, rep: tools.LocaleReport) -> str:
    name = f"{locale} ({LANGUAGE_NAMES.get(locale, locale)})"
    if not rep.exists:
        return f"{name:<18} {rep.path}: missing"
    s = rep.stats
    parts = [f"{s.translated}/{s.total} translated ({s.percent:.0f}%)"]
    parts += [f"{n} {label}" for n, label in ((s.untranslated, "untranslated"),
                                               (s.fuzzy, "fuzzy"), (s.obsolete, "obsolete"))
              if n]
    return f"{name:<18} {rep.path}: " + ", ".join(parts)


def _finding_line(f: tools.Finding, default_path: str) -> str:
    """``  path:line: kind: [ctx] "msgid": explanation`` (clickable in editors)."""
    path = f.path or default_path
    where = f"{path}:{f.line}" if f.line else path
    kind = f.kind if f.severity == tools.ERROR else f"{f.kind} ({f.severity})"
    msg = tools.describe((f.msgctxt or "", f.msgid, "")) if f.msgid is not None else ""
    return f"  {where}: {kind}: " + (f"{msg}: {f.message}" if msg else f.message)


def format_report(report: tools.CheckReport, strict: bool = False) -> str:
    """The human-readable form of a :class:`~erpsync.i18n_tools.CheckReport`."""
    lines: list[str] = []
    t = report.template
    if not t.exists:
        lines.append(f"Template {t.path}: missing")
    else:
        state = ("up to date with the sources" if t.checked_sources and not
                 (t.added or t.removed) else
                 "STALE" if t.added or t.removed else "not compared with the sources")
        lines.append(f"Template {t.path}: {t.messages} messages, {state}")
    for f in t.findings:
        lines.append(_finding_line(f, t.path))
    for label, items in (("+", t.added), ("-", t.removed)):
        for item in items[:20]:
            lines.append(f"    {label} {item}")
        if len(items) > 20:
            lines.append(f"    {label} ... and {len(items) - 20} more")

    for loc, rep in report.locales.items():
        lines.append("")
        counts: dict[str, int] = {}
        for f in rep.findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        verdict = "OK" if not rep.findings else ", ".join(
            f"{n} {kind}" for kind, n in counts.items())
        lines.append(_stats_line(loc, rep) + f"  [{verdict}]")
        for f in rep.findings:
            lines.append(_finding_line(f, rep.path))

    for f in report.other_findings:
        lines.append(f"\n{f.severity}: {f.message}")

    lines.append("")
    if report.ok(strict):
        tail = f" ({report.warnings} warning(s))" if report.warnings else ""
        lines.append(f"Check passed{tail}.")
    else:
        lines.append(f"Check FAILED: {report.errors} error(s), {report.warnings} warning(s)"
                     + (" (--strict: warnings count)" if strict and report.warnings else "")
                     + ".")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m erpsync.i18n_cli ... (before the main CLI has it)
    i18n_group()
