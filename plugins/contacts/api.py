from flask_smorest import Blueprint
blp = Blueprint("contacts_api", __name__, url_prefix="/api/v1/contacts")
