# syntax=docker/dockerfile:1
#
# One image for every Node service of the pipeline (processor, ingest, simulator, forecaster, replay and
# dlq, the migrations one-shot). The image builds the TypeScript sources (`npm run build`: each
# workspace's src/ → dist/) and runs the built JavaScript with plain node:
#
#   docker run cs-analytics:local services/processor/dist/main.js         (the default)
#   docker run cs-analytics:local services/ingest/dist/main.js
#   docker run cs-analytics:local services/simulator/dist/main.js --mode live
#   docker run cs-analytics:local services/forecaster/dist/main.js
#   docker run cs-analytics:local services/replay/dist/dlq-main.js list
#   docker run cs-analytics:local deploy/docker/dist/migrate.js
#
# docker-compose.yml builds it; see deploy/docker/README.md.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- manifests: only package.json files + the lockfile, so `npm ci` below is re-run only when
# dependencies change (the layer is cached by content, not by the source tree). -------------------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \; \
 && cp package-lock.json /manifests/

# ---- build: npm ci, including the node-rdkafka native build (librdkafka with SSL and zlib). ---------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ pkg-config libssl-dev zlib1g-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# node-gyp: use the headers shipped with this Node instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY --from=manifests /manifests/ ./
# If this npm skipped install scripts (newer npm asks for approval), build the addon explicitly.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
 && (test -f node_modules/node-rdkafka/build/Release/node-librdkafka.node || npm rebuild node-rdkafka --no-audit --no-fund)
COPY . .
# Compile every workspace (turbo, in dependency order) and the migrations one-shot to dist/, then
# drop the dev tools (TypeScript, tsx, turbo): nothing is compiled at run time.
# Then keep only what node-rdkafka loads at run time: the addon and librdkafka's shared libraries.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/node-rdkafka \
 && rm -rf deps build/Release/obj.target build/deps/include build/deps/librdkafka build/deps/pkgconfig build/deps/share \
 && rm -f build/deps/*.a build/deps/*.mk build/*.mk build/Makefile build/deps/*Makefile \
 && cd /app \
 && node -e "require('node-rdkafka')" \
 && node --input-type=module -e "await import('@cs/processor'); await import('@cs/ingest'); await import('@cs/producer'); await import('@cs/forecaster');"

# ---- runtime ------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# librdkafka links OpenSSL and zlib dynamically.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
# Fail the build, not the first start, if a native module cannot load here.
RUN node -e "require('node-rdkafka')" \
 && node --input-type=module -e "await import('@cs/processor'); await import('@cs/ingest'); await import('@cs/forecaster');"
# 9401: processor /healthz /readyz /metrics; 8080: ingest API; 9402: simulator; 9403: forecaster (+ the same probes).
EXPOSE 8080 9401 9402 9403
ENTRYPOINT ["node"]
CMD ["services/processor/dist/main.js"]
