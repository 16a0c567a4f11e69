# One image for the worker, the API and the sandbox providers; the command picks the process.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Exactly the dependencies that were tested, each checked against its hash (`make lock`).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY policies ./policies
COPY workflows ./workflows
COPY activities ./activities
COPY messages ./messages
COPY adapters ./adapters
COPY store ./store
COPY starter ./starter
COPY runtime ./runtime
COPY sandbox ./sandbox
COPY cli ./cli
COPY worker.py ./
# Bytecode for the sources the processes run from /app: the workflow sandbox re-imports the
# workflow modules for every workflow run, and would otherwise compile them each time.
RUN pip install --no-deps . && python -m compileall -q /app && useradd --system --uid 10001 orderflow && mkdir -p /data \
    && chown orderflow /data
USER orderflow
ENV ORDERFLOW_POLICIES_DIR=/app/policies
CMD ["python", "worker.py"]
