"""Bare extension instances; create_app binds them to an app with init_app."""

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from .errors import Api


class Base(DeclarativeBase):
    pass


# Objects stay readable after commit: responses and events are built from what was just written.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
api = Api()
jwt = JWTManager()
socketio = SocketIO()
