# Example image (no Docker engine runs on the machines this was written on, so
# it has not been built there; keep it simple and check it on yours).
#
#   docker build -t websocket-session .
#   docker run -p 8080:8080 -p 8765:8765 -v wss-data:/app/data websocket-session
# Served under a name other than localhost, add -e ALLOWED_HOSTS=<that name> (else 421).

# --- build: dev dependencies, compile the server, bundle the app ---------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

# --- run: production dependencies and the build only, as a non-root user -------
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 DB_PATH=/app/data/app.db
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080 8765
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM from `docker stop` drains: sockets close with 1001, writes are flushed, exit 0 within 5 s.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/server/main.js"]
