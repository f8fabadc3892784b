"""Entry point. Production: `gunicorn -k eventlet -w 1 wsgi:app`. Development: `python wsgi.py`."""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402  (after monkey-patching, so the standard library is green)

from eventlet.support.psycopg2_patcher import make_psycopg_green  # noqa: E402

from orders_app import create_app  # noqa: E402
from orders_app.extensions import socketio  # noqa: E402

# psycopg2 waits on the database in C; this makes those waits yield to other green threads.
make_psycopg_green()

app = create_app()

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * orders_app on http://{host}:{port}  (Swagger UI /docs, Socket.IO test page /)", flush=True)
    socketio.run(app, host=host, port=port)
