# The kiosk as a container image: `docker compose up` runs it beside PostgreSQL (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# fonts-wqy-microhei: the Chinese font embedded in PDF exports; fonts-hanazono (HanaMin A/B,
# ~50 MB): the rare characters of real names it lacks (䶮, 𠀀, 𬌗), loaded only when needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei fonts-hanazono \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY judge_ui ./judge_ui
COPY display_ui ./display_ui
COPY console_ui ./console_ui
RUN pip install ".[postgres]" && useradd --system --home-dir /app kiosk && mkdir -p /app/kiosk-data \
    && chown kiosk /app/kiosk-data

USER kiosk
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["kiosk", "serve", "--host", "0.0.0.0", "--port", "8000"]
