"""The server stack's own ceiling: a bare Flask app served exactly as wsgi.py serves orders_app.

Flask-SocketIO on eventlet, one process, eventlet.wsgi on its own listener, no database, no auth, no
logging. POST /echo parses the JSON body and answers it back (201, as POST /orders does); GET /health
says it is up. bench/throughput_bench.py sends it the same requests (same bodies, same Authorization
headers) as the orders and prints orders/s ÷ echo req/s.

Usage: HOST=127.0.0.1 PORT=5001 .venv/bin/python bench/echo_server.py
"""

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet")  # wraps the app in the Engine.IO middleware, as orders_app's does


@app.post("/echo")
def echo():
    return jsonify(request.get_json()), 201


@app.get("/health")
def health():
    return {"status": "ok"}


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5001"))
    eventlet.wsgi.server(eventlet.listen((host, port), reuse_port=False), app, log_output=False)
