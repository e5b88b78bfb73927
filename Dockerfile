# writeback in a container: built with the pinned Bun, run as one binary on a small Debian.
# docker compose up --build starts it with Redis and Postgres (docker-compose.yml).

# The test suite's image (docker compose --profile test run --rm test): the pinned Bun, the
# dependencies, and what the tests run beside the service: redis-server (the fault tests start
# their own), Chromium (the status page's browser test), promtool (the exposition). The
# sources are mounted, not copied: a run tests the working tree.
FROM oven/bun:1.4.5 AS test
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends redis-server chromium prometheus util-linux \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile
CMD ["bun", "test"]

FROM oven/bun:1.4.5 AS build
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile
COPY src ./src
COPY sql ./sql
RUN bun run build

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin writeback
COPY --from=build /app/dist/writeback /usr/local/bin/writeback
USER writeback
WORKDIR /tmp
# Inside a container the service must listen beyond loopback; the network in front is yours.
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["writeback", "healthcheck"]
ENTRYPOINT ["writeback"]
