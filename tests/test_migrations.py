"""The migrations build exactly the schema the models describe, so a model
change without its migration fails here rather than in production."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from commons.extensions import db


def test_migrated_schema_matches_the_models(app):
    # What autogenerate compares: search's own objects (commons.search.schema)
    # are left out, as they are when a migration is generated.
    include_name = app.extensions["migrate"].configure_args["include_name"]
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
