# syntax=docker/dockerfile:1.7
# template-provider image, generated from images/spec.ts by images/generate.ts: do not edit. Build from the repository root:
#   docker build -f images/template-provider.Dockerfile -t ghcr.io/hyperhash/template-provider:0.1.0 .
# Stage 1 bundles services/template-provider/src/main.ts and its workspace libraries into one ESM file with esbuild
# (TypeScript is stripped at build time: no tsx in the image). Stage 2 installs only the
# production dependencies of @hyperhash/template-provider (npm ci --omit=dev), the bundle keeps
# no package external. Stage 3 is the non-root runtime.
# The context must hold the native addons built on a Debian bookworm host (services/sv2/native/build/secp256k1.node):
# node scripts/bootstrap.mjs builds them.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node_modules/.bin/esbuild services/template-provider/src/main.ts --bundle --platform=node --target=node20 \
      --format=esm --outfile=/out/main.mjs --sourcemap \
      --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
      --log-level=warning

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY . .
RUN npm ci --omit=dev --workspace @hyperhash/template-provider --no-audit --no-fund \
 && rm -rf node_modules/@hyperhash node_modules/.cache

FROM ${NODE_IMAGE}
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
ENV HH_TP_OPS_PORT=9442 HH_TP_LISTEN_HOST=0.0.0.0 HH_TP_OPS_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /out/ ./
COPY services/sv2/native/build/secp256k1.node ./
# The node image's "node" user is uid 1000; the chart runs every pod as 10001 (any non-root uid
# works: the image writes nothing outside mounted volumes and /tmp).
USER 10001:10001
EXPOSE 9442
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9442/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/main.mjs"]
