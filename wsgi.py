"""Entry point. Production: `gunicorn -k eventlet -w 1 wsgi:app`. Development: `python wsgi.py`."""

import eventlet

eventlet.monkey_patch()

import errno  # noqa: E402  (after monkey-patching, so the standard library is green)
import gc  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

import eventlet.wsgi  # noqa: E402
from eventlet.support.psycopg2_patcher import make_psycopg_green  # noqa: E402

from orders_app import create_app  # noqa: E402

# psycopg2 waits on the database in C; this makes those waits yield to other green threads.
make_psycopg_green()

app = create_app()

# What start-up built (modules, the app, its schemas and compiled statements) lives as long as the
# process. Left to the cyclic collector, every full collection walks all of it again: under an order
# load those collections paused the whole server for hundreds of milliseconds (bench/README.md,
# "Collector pauses"). Frozen, they walk only what the process allocated since.
gc.collect()
gc.freeze()


def listen(host, port):
    """The server's socket. Not socketio.run's: eventlet.listen sets SO_REUSEPORT by default, so a
    second server on a taken port would start and share it instead of failing."""
    try:
        family, *_, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        return eventlet.listen(address, family, reuse_port=False)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SystemExit(f"orders_app: port {port} on {host} is already in use; stop the server there or set PORT.")
        raise SystemExit(f"orders_app: cannot listen on {host}:{port}: {error.strerror}.")


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    listener = listen(host, port)
    print(f" * orders_app on http://{host}:{port}  (Swagger UI /docs, Socket.IO test page /)", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False)
