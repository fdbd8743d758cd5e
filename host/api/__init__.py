"""REST API v1 (flask-smorest): the OpenAPI document is built from these schemas."""
from flask_smorest import abort
from flask_login import current_user

from host.extensions import db


def visible_chat_or_404(chat_id: int):
    """A chat the current agent may see; other groups' chats look like they don't exist."""
    from host.models import Chat

    chat = db.session.get(Chat, chat_id)
    if chat is None or not current_user.can_see_group(chat.group_id):
        abort(404, message="There is no such chat, or it belongs to a group you're not in.")
    return chat


def require_admin():
    if not current_user.is_admin:
        abort(403, message="Only administrators can do this.")
