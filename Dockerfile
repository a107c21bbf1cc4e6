# syntax=docker/dockerfile:1
#
# keyhound in a container: one static binary on distroless/static (no shell, no libc, no
# package manager), run as a non-root user (65532). Mount the repository at /repo:
#
#   docker run --rm -v "$PWD:/repo" ghcr.io/OWNER/keyhound git .     # the whole history
#   docker run --rm -v "$PWD:/repo" ghcr.io/OWNER/keyhound           # the working tree (scan .)
#   docker run --rm -v "$PWD:/repo" ghcr.io/OWNER/keyhound staged    # what is staged
#   git diff | docker run --rm -i ghcr.io/OWNER/keyhound scan -     # stdin
#
# The mounted repository belongs to your uid, not the container's: keyhound does not refuse
# such a repository (libgit2's ownership check is off, because keyhound only reads a
# repository and never runs anything its config names). To write a report into /repo
# (`-o keyhound.sarif`), run as yourself so the file is yours: add --user "$(id -u):$(id -g)".
#
# Build: docker build -t keyhound .   (the release workflow builds linux/amd64 and linux/arm64)

FROM rust:1-alpine AS builder
# The C code (libgit2 and zlib, vendored, compiled by the cc crate) needs a C compiler (gcc,
# in the image) and musl's headers and start files (musl-dev). Nothing else: git2 is built
# without HTTPS and SSH, so no OpenSSL or libssh2; no cmake, make or perl either.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
# Build zlib from source and link it in, never a system libz.
ENV LIBZ_SYS_STATIC=1 CARGO_TERM_COLOR=never
WORKDIR /src

# Dependency layer: the crates are downloaded once per Cargo.lock, not on every source
# change. The placeholders only make the manifest loadable (its targets must exist).
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' >src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' >benches/matcher.rs \
 && cargo fetch --locked \
 && rm -rf src benches

# What the build reads (.dockerignore keeps everything else out of the context).
COPY build.rs ./
COPY rules rules
COPY benches benches
COPY src src
# On Alpine the host target is musl, linked statically by default; refuse anything else
# (readelf comes with gcc's binutils).
RUN cargo build --release --locked \
 && readelf -d target/release/keyhound >/tmp/dynamic-section \
 && if grep -q '(NEEDED)' /tmp/dynamic-section; then \
      echo "target/release/keyhound is linked dynamically" >&2; exit 1; \
    fi \
 && ./target/release/keyhound --version

# distroless/static: /etc/passwd with `nonroot` (65532) and its home, /tmp, CA certificates.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="keyhound" \
      org.opencontainers.image.description="Fast secret-leak scanner for files, stdin and git repositories" \
      org.opencontainers.image.source="https://github.com/keyhound/keyhound" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=builder /src/target/release/keyhound /usr/local/bin/keyhound
ENV PATH=/usr/local/bin:/usr/bin:/bin
USER 65532:65532
WORKDIR /repo
ENTRYPOINT ["keyhound"]
CMD ["scan", "."]
