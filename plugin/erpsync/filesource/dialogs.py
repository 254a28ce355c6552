"""The File dialogs: **Upload a file** and **Map columns**, which stage the
file's rows into the admin's pending file import and hand over to the
shared import pages (staged list, settings, preview, import, result).

Every problem with the file or the mapping is shown in the dialog, in the
admin's language, and nothing is staged then.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..connectors.base import ACTOR_TYPE_LABELS, ActorType
from ..engine.api import ImportError_
from ..engine.settings import CompanyMatch, ImportSettings, PersonMatch, option_label
from ..i18n import gettext, lazy_gettext
from ..ui.common import DialogError, admin_route, redirect, run_blocking
from . import reading, saved, uploads
from .errors import FileSourceError
from .fields import (
    duplicate_match_field,
    requirements,
    target_choices,
)
from .importing import SOURCE_KEY, FilePlan, stage_file
from .mapping import ColumnMapping, check, from_pairs, source_id
from .reading import XLSX, column_name
from .synonyms import suggest
from .uploads import Upload, UploadStore

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

log = logging.getLogger(__name__)

#: Sample values shown per column.
SAMPLE_VALUES = 3

UPLOAD_GONE = lazy_gettext("This upload does not exist any more: it was imported, cancelled "
                           "or is more than a day old. Upload the file again.")


def routes(erpsync: ErpSync) -> list[Route]:
    """The File dialogs, relative to the erpsync mount."""
    return [
        admin_route(erpsync, "/file/upload", upload_view, name="erpsync_file_upload",
                    methods=["GET", "POST"]),
        # The upload is named by the query (?upload=TOKEN): the routes take no path
        # parameters, like the other dialogs.
        admin_route(erpsync, "/file/mapping", mapping_view, name="erpsync_file_mapping",
                    methods=["GET", "POST"]),
        admin_route(erpsync, "/file/cancel", cancel_view, name="erpsync_file_cancel",
                    methods=["POST"]),
    ]


def _store(erpsync: ErpSync) -> UploadStore:
    return UploadStore(uploads.upload_dir(erpsync))


def _actor_type(value: Any) -> ActorType | None:
    try:
        return ActorType(str(value or ""))
    except ValueError:
        return None


async def _pending(erpsync: ErpSync, user: CurrentUser) -> dict[str, int] | None:
    """The admin's open file import, as {"id", "count"}."""
    engine = erpsync.engine
    import_id = await run_blocking(engine.open_import, SOURCE_KEY, user.id)
    if import_id is None:
        return None
    return {"id": import_id, "count": await run_blocking(engine.staged_count, import_id)}


# ------------------------------------------------------------------ Upload a file


def _render_upload(erpsync: ErpSync, request: Request, *, status: int = 200,
                   actor_type: str = "", errors: list[str] | None = None,
                   problem: FileSourceError | None = None,
                   pending: dict[str, int] | None = None) -> Response:
    return erpsync.render(
        request, "erpsync/file/upload.html", status_code=status,
        types=[(t.value, ACTOR_TYPE_LABELS[t]) for t in ActorType],
        chosen_type=actor_type or ActorType.CUSTOMER.value, errors=errors or [],
        problem=problem, pending=pending, max_mb=uploads.MAX_UPLOAD_BYTES // 2**20)


async def upload_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """GET: the upload form. POST: store the file in the data directory, read
    it once (format, column names, every row readable), then map columns."""
    pending = await _pending(erpsync, user)
    if request.method == "GET":
        return _render_upload(erpsync, request, pending=pending,
                              actor_type=request.query_params.get("type") or "")
    store = _store(erpsync)
    await run_blocking(store.cleanup)
    try:
        received = await uploads.receive(request, store)
    except FileSourceError as exc:
        return _render_upload(erpsync, request, status=400, problem=exc, pending=pending)
    chosen = received.fields.get("type", "")
    actor_type = _actor_type(chosen)
    errors = []
    if received.token is None:
        errors.append(gettext("Choose a file to upload."))
    if actor_type is None:
        errors.append(gettext("Choose what the file holds: customers, suppliers or persons."))
    if errors or received.token is None or actor_type is None:
        if received.token:
            await run_blocking(store.delete, received.token)
        return _render_upload(erpsync, request, status=400, errors=errors, pending=pending,
                              actor_type=chosen)
    path = store.data_path(received.token)
    try:
        fmt = await run_blocking(reading.detect, path, received.filename)
        sheet = fmt.sheets[0] if fmt.kind == XLSX else None
        scan = await run_blocking(reading.scan, path, received.filename, fmt, sheet)
    except FileSourceError as exc:
        await run_blocking(store.delete, received.token)
        return _render_upload(erpsync, request, status=400, problem=exc, pending=pending,
                              actor_type=actor_type.value)
    upload = Upload(token=received.token, user_id=user.id, filename=received.filename,
                    size=received.size, sha256=received.sha256, actor_type=actor_type.value,
                    fmt=fmt.to_json(), sheet=sheet, scan=dataclasses.asdict(scan),
                    created_at=time.time())
    await run_blocking(store.save, upload)
    return redirect(mapping_url(erpsync, request, upload.token))


# ------------------------------------------------------------------ Map columns


def mapping_url(erpsync: ErpSync, request: Request, token: str) -> str:
    """The Map columns dialog of the upload ``token``."""
    return erpsync.url_for(request, "erpsync_file_mapping", query={"upload": token})


def _token(request: Request) -> str:
    return str(request.query_params.get("upload") or "")


def _load_upload(erpsync: ErpSync, request: Request, user: CurrentUser) -> Upload:
    upload = _store(erpsync).load(_token(request), user.id)
    if upload is None:
        raise DialogError(404, UPLOAD_GONE, title=lazy_gettext("Upload not found"),
                          back_url=erpsync.url_for(request, "erpsync_file_upload"),
                          back_label=gettext("Upload a file"))
    return upload


def _match_choices(actor_type: ActorType) -> list[tuple[str, Any]]:
    enum_cls = CompanyMatch if actor_type.is_company else PersonMatch
    return [(m.value, option_label(m)) for m in enum_cls]


def _with_match(settings: ImportSettings, actor_type: ActorType,
                value: Any) -> ImportSettings:
    """``settings`` with the submitted duplicate match (unknown values ignored)."""
    enum_cls = CompanyMatch if actor_type.is_company else PersonMatch
    try:
        chosen = enum_cls(str(value))
    except ValueError:
        return settings
    return dataclasses.replace(settings, **{duplicate_match_field(actor_type): chosen})


def _submitted_fields(form: Any, width: int) -> list[str | None]:
    # Unknown values are kept, so that check() names them.
    return [str(form.get(f"col.{index}") or "") or None for index in range(width)]


def _columns(upload: Upload, fields: list[str | None]) -> list[dict[str, Any]]:
    scan = upload.scanned
    columns = []
    for index, _name in enumerate(scan.header):
        values = [row[index] for row in scan.samples if index < len(row) and row[index]]
        columns.append({"index": index, "name": column_name(scan.header, index),
                        "named": bool(scan.header[index]),
                        "samples": values[:SAMPLE_VALUES], "field": fields[index]})
    return columns


async def _render_mapping(erpsync: ErpSync, request: Request, user: CurrentUser,
                          upload: Upload, fields: list[str | None], settings: ImportSettings,
                          *, status: int = 200, problems: list[str] | None = None,
                          problem: FileSourceError | None = None, save_as: str = "",
                          applied: str | None = None) -> Response:
    actor_type = ActorType(upload.actor_type)
    chosen = [f for f in fields if f]
    required = [{"label": r.label(), "why": r.why, "met": r.met_by(chosen)}
                for r in requirements(actor_type, settings)]
    db = erpsync.engine.db
    fmt = upload.file_format
    return erpsync.render(
        request, "erpsync/file/mapping.html", status_code=status, upload=upload,
        rows=upload.scanned.rows, sheets=list(fmt.sheets) if fmt.kind == XLSX else [],
        actor_type=actor_type, actor_type_label=ACTOR_TYPE_LABELS[actor_type],
        columns=_columns(upload, fields), choices=target_choices(actor_type),
        required=required, match_choices=_match_choices(actor_type),
        match_value=getattr(settings, duplicate_match_field(actor_type)).value,
        saved_mappings=await run_blocking(saved.list_saved, db, actor_type),
        applied=applied, problems=problems or [], problem=problem, save_as=save_as,
        pending=await _pending(erpsync, user))


async def mapping_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """GET: the columns with a suggested CRM field each (a saved mapping for
    the same column names wins). POST ``action``: ``sheet`` (read another
    sheet), ``saved`` (apply a saved mapping), ``refresh`` (another duplicate
    match: other required fields), else import: check, save the mapping when
    named, stage, go to the staged list."""
    upload = _load_upload(erpsync, request, user)
    actor_type = ActorType(upload.actor_type)
    engine = erpsync.engine
    import_id = await run_blocking(engine.open_import, SOURCE_KEY, user.id)
    settings = (await run_blocking(engine.get_settings, import_id) if import_id
                else ImportSettings())
    header = upload.scanned.header
    if request.method == "GET":
        found = await run_blocking(saved.find_for, engine.db, header, actor_type)
        if found is not None:
            fields = from_pairs(header, found.pairs, actor_type)
        else:
            fields = suggest(header, actor_type)
        return await _render_mapping(erpsync, request, user, upload, fields, settings,
                                     applied=found.name if found else None)

    form = await request.form()
    action = form.get("action") or "import"
    settings = _with_match(settings, actor_type, form.get("match"))
    fields = _submitted_fields(form, len(header))
    save_as = str(form.get("save_as") or "")
    if action == "sheet":
        return await _change_sheet(erpsync, request, user, upload, str(form.get("sheet") or ""),
                                   settings)
    if action == "saved":
        chosen = await run_blocking(saved.get, engine.db, str(form.get("saved") or ""))
        if chosen is None or chosen.actor_type is not actor_type:
            return await _render_mapping(
                erpsync, request, user, upload, fields, settings, status=400, save_as=save_as,
                problems=[gettext("Choose a saved mapping from the list.")])
        return await _render_mapping(erpsync, request, user, upload,
                                     from_pairs(header, chosen.pairs, actor_type), settings,
                                     save_as=save_as, applied=chosen.name)
    if action == "refresh":
        return await _render_mapping(erpsync, request, user, upload, fields, settings,
                                     save_as=save_as)
    return await _import(erpsync, request, user, upload, fields, settings, save_as, import_id)


async def _change_sheet(erpsync: ErpSync, request: Request, user: CurrentUser,
                        upload: Upload, sheet: str, settings: ImportSettings) -> Response:
    store = _store(erpsync)
    fmt = upload.file_format
    if sheet != upload.sheet:
        if sheet not in fmt.sheets:
            return await _render_mapping(
                erpsync, request, user, upload, suggest(upload.scanned.header,
                                                        ActorType(upload.actor_type)),
                settings, status=400, problems=[gettext("Choose a sheet from the list.")])
        try:
            scan = await run_blocking(reading.scan, store.data_path(upload.token),
                                      upload.filename, fmt, sheet)
        except FileSourceError as exc:
            return await _render_mapping(
                erpsync, request, user, upload, suggest(upload.scanned.header,
                                                        ActorType(upload.actor_type)),
                settings, status=400, problem=exc)
        upload.sheet, upload.scan = sheet, dataclasses.asdict(scan)
        await run_blocking(store.save, upload)
    return redirect(mapping_url(erpsync, request, upload.token))


async def _import(erpsync: ErpSync, request: Request, user: CurrentUser, upload: Upload,
                  fields: list[str | None], settings: ImportSettings, save_as: str,
                  import_id: int | None) -> Response:
    actor_type = ActorType(upload.actor_type)
    mapping = ColumnMapping(list(upload.scanned.header), fields)
    problems = check(mapping, actor_type, settings)

    async def again(status: int = 400, **kwargs: Any) -> Response:
        return await _render_mapping(erpsync, request, user, upload, fields, settings,
                                     status=status, save_as=save_as, **kwargs)

    try:
        save_name = saved.clean_name(save_as)
    except FileSourceError as exc:
        problems.append(str(exc.user_message))
    if problems:
        return await again(problems=problems)
    engine = erpsync.engine
    store = _store(erpsync)
    fmt = upload.file_format
    plan = FilePlan(path=store.data_path(upload.token), name=upload.filename, fmt=fmt,
                    sheet=upload.sheet, actor_type=actor_type, mapping=mapping,
                    source=source_id(upload.sha256, upload.sheet if fmt.kind == XLSX else None))
    created = import_id is None
    if import_id is None:
        import_id = await run_blocking(engine.create_import, SOURCE_KEY, user.id)
    try:
        result = await run_blocking(stage_file, engine, import_id, plan)
    except (FileSourceError, ImportError_) as exc:
        if created and not await run_blocking(engine.staged_count, import_id):
            await run_blocking(engine.discard_import, import_id)
        if isinstance(exc, FileSourceError):
            return await again(problem=exc)
        raise DialogError(409, exc.user_message, exc.technical,
                          back_url=mapping_url(erpsync, request, upload.token),
                          back_label=gettext("Map columns")) from exc
    if settings != await run_blocking(engine.get_settings, import_id):
        await run_blocking(engine.save_settings, import_id, settings)
    if save_name:
        await run_blocking(saved.save, engine.db, save_name, actor_type, mapping, user.id)
    await run_blocking(store.delete, upload.token)
    return redirect(erpsync.url_for(request, "erpsync_staged", import_id=import_id, query={
        "added": result.added, "already": result.already or None,
        "parents": result.parents or None}))


async def cancel_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """Forget the upload (its file is deleted) and go back to the Import screen."""
    store = _store(erpsync)
    if store.load(_token(request), user.id) is not None:
        await run_blocking(store.delete, _token(request))
    return redirect(erpsync.host_url("import_sources")
                    or erpsync.url_for(request, "erpsync_file_upload"))


