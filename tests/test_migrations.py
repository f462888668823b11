"""The migrations build exactly the schema the models describe, so a model
change without its migration fails here rather than in production."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from commons.extensions import db


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
