# syntax=docker/dockerfile:1
# xiaozhi-ota-proxy: multi-stage build, runs as the unprivileged `node` user (uid 1000).
#   docker build -t xiaozhi-ota-proxy .
#   docker run -p 8003:8003 -v ./config:/app/config:ro -v ./firmware:/app/firmware -v ota-data:/app/data xiaozhi-ota-proxy
# The config is read from /app/config/proxy.yaml (mount your own folder there); firmware.dir is
# /app/firmware (uploads through /admin write there), state such as the fleet's SQLite store goes to
# /app/data. The recipes beside the official xiaozhi-esp32-server compose files: deploy/docker/.
#
# Behind a registry mirror: --build-arg NODE_IMAGE=<mirror>/library/node:20-bookworm-slim
# --build-arg NPM_REGISTRY=https://<npm mirror>/ (the compose recipes pass both through).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG NPM_REGISTRY=https://registry.npmjs.org/
WORKDIR /app
# A toolchain for native modules (better-sqlite3, the fleet's SQLite store) when no prebuilt binary can
# be downloaded; only this stage has it.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm's `prepare` step runs this on `npm ci`; with no src/ copied yet it builds nothing (the build follows).
COPY scripts/build-on-install.mjs ./scripts/
RUN npm ci --no-audit --no-fund --registry="$NPM_REGISTRY"
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# The same base as the build stage: native modules are built against its libc.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root config ./config
COPY firmware ./firmware
# What the proxy writes, owned by the user it runs as: firmware.dir (uploads) and /app/data (state).
# Code and config stay root's, so the process cannot change them. A named volume mounted on either
# starts as a copy of it, ownership included.
RUN mkdir -p /app/data \
  && chown -R node:node /app/firmware /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 8003
# Asks the running proxy's /healthz on the port its own config names (works after `listen` changes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "dist/cli.js", "healthcheck", "--config", "/app/config/proxy.yaml"]
# SIGTERM finishes in-flight checks and downloads within shutdown_grace_ms: give the container a
# longer stop grace period (compose: stop_grace_period: 15s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--config", "/app/config/proxy.yaml"]
