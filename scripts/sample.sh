#!/usr/bin/env bash
# Builds the sample image from testdata/ into out/ (no registry, no daemon):
# an OCI layout, an OCI archive and a docker-archive. Installs the npm dev
# dependencies first when they are missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund
npm run --silent build
mkdir -p out
rm -rf out/oci out/hello.tar out/hello-oci.tar
report=$(node dist/cli.js build testdata/rootfs --json \
  --entrypoint /bin/hello \
  --label org.opencontainers.image.title=hello \
  -o oci:out/oci:latest \
  -o oci-archive:out/hello-oci.tar:latest \
  -o docker-archive:out/hello.tar:scratchbuild/hello:latest)
digest=$(node -e 'console.log(JSON.parse(process.argv[1]).digest)' "$report")
oci=$(node -e 'console.log(JSON.parse(process.argv[1]).outputs[0].digest)' "$report")
cat <<MSG

Image digest: $digest (Docker manifest, as pushed with --tag)
OCI digest:   $oci (the manifest in out/oci and out/hello-oci.tar)

Try it:
  skopeo inspect oci:out/oci:latest
  docker load -i out/hello.tar && docker run --rm scratchbuild/hello:latest
  podman load -i out/hello.tar && podman run --rm scratchbuild/hello:latest
  podman run --rm oci-archive:out/hello-oci.tar:latest
MSG
