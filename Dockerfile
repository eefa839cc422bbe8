# Multi-stage build: compile with the Rust toolchain, run on a small image as a non-root user.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/debezium-exporter

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/debezium-exporter /usr/local/bin/debezium-exporter
USER 65534:65534
EXPOSE 9543
ENTRYPOINT ["/usr/local/bin/debezium-exporter", "--web.listen-address=:9543"]
