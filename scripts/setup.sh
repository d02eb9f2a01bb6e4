#!/usr/bin/env bash
# Idempotent set-up for a fresh machine of this kind, run before `npm start` and `npm test`:
# Debian packages (native client build deps, Redis, Java, Maven), the npm dependencies built from
# source (CKJS_LINKING=dynamic), the TypeScript build, and the Kafka broker jars. Quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages. The librdkafka build links these system libraries dynamically.
packages=(libssl-dev libsasl2-dev libzstd-dev liblz4-dev zlib1g-dev libcurl4-openssl-dev pkg-config redis-server)
# Headless Chromium renders and screenshots the HTML reports (tests check them); playwright-core drives it.
# The report's check names and the seed's log lines carry emoji: without a colour emoji font they render as boxes.
packages+=(chromium fonts-liberation fonts-noto-color-emoji)
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)
command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || packages+=(build-essential)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
# The multi-host test runs hosts as network namespaces (ip netns); the TLS tests make certificates.
packages+=(iproute2 openssl)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. npm dependencies. The client's prebuilt binary lives on a host this machine cannot reach, so
# it is always built from source against the system libraries above.
binding=node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -f "$binding" ]; then
  echo "setup: installing npm dependencies (builds librdkafka from source, ~1-2 min on 2 cores)"
  CKJS_LINKING=dynamic npm ci --no-audit --no-fund
fi

# 2b. Sluice's patches to the client (patches/*.patch, each says why and what it measured): applied
# once to the installed package, then the binding is rebuilt (only the changed files compile).
client=node_modules/@confluentinc/kafka-javascript
applied=0
for p in patches/confluent-kafka-javascript-*.patch; do
  [ -e "$p" ] || continue
  if ! patch -d "$client" --dry-run -R -p1 -s -f < "$p" >/dev/null 2>&1; then
    echo "setup: applying $p"
    patch -d "$client" -p1 -s -f < "$p"
    applied=1
  fi
done
if [ "$applied" = 1 ]; then
  echo "setup: rebuilding the client's binding with the patches"
  node_gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  log="$(mktemp)"
  if ! (cd "$client" && CKJS_LINKING=dynamic node "$node_gyp" build >"$log" 2>&1); then
    cat "$log"
    echo "setup: rebuilding the client's binding failed (its output is above)" >&2
    exit 1
  fi
  rm -f "$log"
fi

# 3. Compile TypeScript (incremental: quick when nothing changed).
npm run --silent build

# 4. Kafka broker jars from Maven Central into .cache/ (skipped when already there).
node bin/sluice.js infra fetch

echo "setup: ready ($(( $(date +%s) - started ))s)"
