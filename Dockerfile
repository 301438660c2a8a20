# One image for the whole suite. The command selects the app:
#   node dist/apps/gateway/src/main.js              (default, HTTP 8065)
#   node dist/apps/remote-cluster/src/main.js       (HTTP 8066)
#   node dist/apps/shared-channel-sync/src/main.js  (HTTP 8067)
#   node dist/apps/file-transfer/src/main.js        (HTTP 8068)
#   node dist/apps/user-sync/src/main.js            (HTTP 8069)
# Build: docker build -t fedchat/suite:latest .

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------
# build: install every dependency, compile TypeScript, then drop dev dependencies
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No install-time telemetry from transitive dependencies.
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Dependencies first, so that this layer is reused while only sources change.
# --ignore-scripts: the root package's `prepare` script runs the build, and the sources are not here yet.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY . .
# Now that the sources are present, run the dependencies' install scripts that were skipped above,
# compile, and keep only what production needs.
RUN npm rebuild \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------
# runtime: compiled code and production dependencies only, non-root
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app

COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist

# The file store. Owned by `node` so that a fresh named volume mounted here is writable by the app.
RUN mkdir -p /data && chown node:node /data

# `node` is uid/gid 1000 in the official Node.js images (Kubernetes manifests use runAsUser: 1000).
USER node

EXPOSE 8065 8066 8067 8068 8069

# Each app handles SIGTERM itself: it stops taking work, finishes what is in flight
# (up to SHUTDOWN_TIMEOUT_MS, 25 s by default) and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/gateway/src/main.js"]
