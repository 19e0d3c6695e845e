# secretary-watch: one Node 24 process that runs the TypeScript sources directly (no build step).
#
#   docker build -t secretary-watch .
#   docker run -p 9464:9464 \
#     -v "$PWD/my.yaml:/etc/secretary-watch/config.yaml:ro" \
#     -v secretary-watch-data:/var/lib/secretary-watch secretary-watch  # your bots
#   docker run -p 9464:9464 secretary-watch demo                     # the demo, asked for: sandbox + demo fleet
#
# Config: /etc/secretary-watch/config.yaml, found through SECRETARY_WATCH_CONFIG when set, else through
# the conventional config/secretary-watch.yaml, which links there. With no file there, `start` fails
# naming the path it expected (SECRETARY_WATCH_IMAGE=1): a production container never quietly watches
# the demo instead. The demo runs only when asked for: the command `demo`, or SECRETARY_WATCH_DEMO=1.
# Data: point store.path into /var/lib/secretary-watch (the demo's ./data/ links there too). The volume
# must be writable by uid 1000: named volumes are; chown a bind-mounted folder to 1000.
# Tokens: pass them as environment variables (`${VAR}` in the config), never bake them into the image.

# --- deps: production dependencies only, exactly as locked ----------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script; the `node` dev dependency (Node 24 for dev machines) is omitted:
# the base image's Node 24 runs the service.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------------
FROM node:24-slim AS runtime
ENV NODE_ENV=production
# Tells the CLI it runs in this image: a missing config mount is an error, not the demo.
ENV SECRETARY_WATCH_IMAGE=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY checks ./checks
COPY config ./config
RUN mkdir -p /etc/secretary-watch /var/lib/secretary-watch \
 && chown node:node /var/lib/secretary-watch \
 && chmod 0700 /var/lib/secretary-watch \
 && ln -s /etc/secretary-watch/config.yaml config/secretary-watch.yaml \
 && ln -s /var/lib/secretary-watch data
# node (uid 1000) of the base image; numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME ["/etc/secretary-watch", "/var/lib/secretary-watch"]
EXPOSE 9464
# GET /healthz answers 200 while the process and its scheduler live. `healthcheck` asks the port (and
# host) of the config `start` runs on, so a config with another server.port is probed there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "bin/secretary-watch.js", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["start"]
