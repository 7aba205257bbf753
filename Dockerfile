# The Kith API, for docker-compose.yml (which pairs it with Neo4j). Build: docker build -t kith .
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY graph ./graph
COPY api ./api
COPY ingest ./ingest
RUN pip install . \
    && useradd --create-home --uid 10001 kith \
    && mkdir /data && chown kith /data \
    && rm -rf /src

USER kith
WORKDIR /home/kith
VOLUME /data
EXPOSE 8000
CMD ["kith", "serve", "--host", "0.0.0.0", "--port", "8000"]
