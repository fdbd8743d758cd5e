"""Flask extensions shared by every app; each app binds them with ``init_app``."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


@migrate.configure
def _plugin_branches(config):
    """Add every plugin's revision folder to the one Alembic environment."""
    import os

    from flask import current_app

    from host.migration_check import HOST_VERSIONS

    folders = [str(HOST_VERSIONS)]
    sb = current_app.extensions.get("switchboard")
    if sb is not None:
        folders += [folder for _, folder in sb.migration_folders]
    config.set_main_option("version_locations", os.pathsep.join(folders))
    return config
