"""`flask db upgrade` on an empty database gives exactly the schema of the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from tests.conftest import database_url


def test_upgrade_head_matches_the_models(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
