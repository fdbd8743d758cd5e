"""REST API v1 (flask-smorest): the OpenAPI document is built from these schemas.

Who may use which route is decided in :mod:`host.access`.
"""
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import abort


def require_admin():
    if not current_user.is_admin:
        abort(403, message=gettext("Only administrators can do this."))
