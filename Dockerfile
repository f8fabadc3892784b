# orders_app: one eventlet worker per container; run several behind a sticky load balancer
# with REDIS_URL set so Socket.IO events reach clients connected to any of them.

# The browser's Socket.IO client comes from the npm lockfile, never from a CDN.
FROM node:20-slim AS web
WORKDIR /web
COPY orders_app/web/package.json orders_app/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ORDERS_APP_ENV=production \
    INSTANCE_PATH=/data \
    PORT=5000
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && useradd --system --create-home orders \
    && mkdir -p /data && chown orders /data
COPY orders_app ./orders_app
COPY wsgi.py ./
COPY --from=web /web/node_modules/socket.io-client ./orders_app/web/node_modules/socket.io-client
USER orders
VOLUME ["/data"]
EXPOSE 5000
# Migrate (and sync instruments), then hand PID 1 to gunicorn. JWT_SECRET_KEY is required in production;
# DATABASE_URL defaults to SQLite in /data. gunicorn is pinned to 25.x, the last line with the eventlet worker.
CMD ["sh", "-c", "flask --app orders_app init-db && exec gunicorn -k eventlet -w 1 -b 0.0.0.0:${PORT} --access-logfile - wsgi:app"]
