# Two stages: build with cgo (mattn/go-sqlite3 needs it), run on a small
# glibc base as a non-root user. Every RUN step is a plain command too: see
# "Building without Docker" in README.md (.ci/run runs the same build line).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/resetgw ./cmd/resetgw

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/resetgw --create-home resetgw \
 && install -d -m 0700 -o resetgw /etc/resetgw
COPY --from=build /out/resetgw /usr/local/bin/resetgw
USER resetgw
WORKDIR /var/lib/resetgw
# The key is kept on a volume of its own, so that a copy of the data volume
# does not carry the key that opens it; back the two up separately.
ENV RESETGW_LISTEN=0.0.0.0:8080 \
    RESETGW_DB=/var/lib/resetgw/resetgw.db \
    XDG_CONFIG_HOME=/etc/resetgw
VOLUME /var/lib/resetgw /etc/resetgw
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["resetgw", "healthcheck"]
ENTRYPOINT ["resetgw"]
CMD ["serve"]
