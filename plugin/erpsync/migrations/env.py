"""Alembic environment for erpsync, driven by :mod:`erpsync.migrate`.

:mod:`erpsync.migrate` passes an open connection in ``config.attributes``;
without one (offline ``--sql`` mode, or a plain ``alembic`` call with
``sqlalchemy.url`` set) the URL from the config or :func:`erpsync.db.default_db_url`
is used.
"""

from __future__ import annotations

from alembic import context

from erpsync import db as dbmod
from erpsync.migrate import VERSION_TABLE, target_metadata

config = context.config
metadata = target_metadata()


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things: rebuild tables in "batch" mode.
        render_as_batch=True,
        compare_type=True,
        # erpsync.migrate.revision adds what autogenerate cannot see on SQLite.
        process_revision_directives=config.attributes.get("process_revision_directives"),
        **kwargs,
    )


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or dbmod.default_db_url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = dbmod.make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.begin() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
