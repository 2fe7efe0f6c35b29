# syntax=docker/dockerfile:1
# xiaozhi-ota-proxy: multi-stage build, runs as the unprivileged `node` user.
#   docker build -t xiaozhi-ota-proxy .
#   docker run -p 8003:8003 -v ./config:/app/config:ro -v ./firmware:/app/firmware:ro xiaozhi-ota-proxy
# The config is read from /app/config/proxy.yaml (mount your own folder there); its
# `firmware.dir: ../firmware` then points at /app/firmware.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root config ./config
COPY --chown=root:root firmware ./firmware
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
