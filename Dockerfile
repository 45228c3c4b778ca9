# Backprop Service image: one image for the API, the workers and the migrate step.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BACKPROP_DATA_DIR=/data \
    BACKPROP_HOST=0.0.0.0 \
    BACKPROP_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install . && useradd --create-home --uid 10001 backprop \
    && mkdir -p /data && chown backprop /data

USER backprop
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Default: the embedded mode (SQLite under /data + in-process worker).
CMD ["backprop", "up"]
