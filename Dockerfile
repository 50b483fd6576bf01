# syntax=docker/dockerfile:1
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-dashboard.ts scripts/operator-bundle.ts ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/operator ./dist/operator
COPY --from=build /src/dist/dashboard ./dist/dashboard
COPY package.json ./
# Nothing is written at run time: the root filesystem can be mounted read-only.
USER 65532:65532
EXPOSE 8080
# --max-semi-space-size and --max-opt: see src/runtime/node-options.ts.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "--max-opt=2", "--expose-gc", "dist/operator/main.js"]
