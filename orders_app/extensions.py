"""Bare extension instances; create_app binds them to an app with init_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from .errors import Api
from .verified_tokens import JWTManager


class Base(DeclarativeBase):
    pass


# Objects stay readable after commit: responses and events are built from what was just written.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
api = Api()
jwt = JWTManager()
socketio = SocketIO()
# Every limit names its own key (orders_app/limits.py); the peer address is only the library's fallback.
limiter = Limiter(key_func=get_remote_address)
