#!/usr/bin/env bash
# Benchmarks scratchbuild against peers in one run, on the same input: a tree
# with one ~64 MiB "static binary" (real executables concatenated, so it
# compresses like one) and a few small files.
#
#   build:  scratchbuild on Deno, Bun and Node  vs  GNU tar | gzip -6 (one thread)
#           and umoci (Go: init + new + insert, gzip layer)
#   push:   scratchbuild (Node) building and pushing to a local registry, beside
#           skopeo copy pushing the same image from a prebuilt OCI layout
#
# Prints wall-clock seconds and peak RSS per tool. Figures, not assertions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZE_MIB="${BENCH_SIZE_MIB:-64}"
RUNS="${BENCH_RUNS:-3}"
work=$(mktemp -d "${TMPDIR:-/tmp}/scratchbuild-bench.XXXXXX")
reg_pid=""
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -f dist/cli.js ] || npm run --silent build
mkdir -p "$work/src/app" "$work/src/etc"
find /usr/bin /usr/lib -type f -size +100k 2>/dev/null | sort | xargs cat 2>/dev/null |
  head -c $((SIZE_MIB * 1024 * 1024)) >"$work/src/app/server" || true
chmod 755 "$work/src/app/server"
echo '{"port":8080}' >"$work/src/etc/config.json"
echo "input: $(du -sh "$work/src" | cut -f1) in $(find "$work/src" | wc -l) entries; best of $RUNS runs"
echo

# measure NAME CMD...: best wall time and its peak RSS over $RUNS runs.
measure() {
  local name=$1
  shift
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    rm -rf "$work/out" && mkdir -p "$work/out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
      { echo "$name failed:"; cat "$work/err"; return 1; }
    read -r t m <"$work/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t rss=$m; fi
  done
  printf '%-44s %8.2f s %8.0f MiB\n' "$name" "$best" "$(awk "BEGIN{print $rss/1024}")"
}

sb_args=(build "$work/src" --entrypoint /app/server -o "oci-archive:$work/out/img.tar")
echo "== build a one-layer image (gzip level 6) =="
measure "scratchbuild (node dist/cli.js)" node dist/cli.js "${sb_args[@]}"
measure "scratchbuild (deno run src/cli.ts)" ./node_modules/.bin/deno run -A src/cli.ts "${sb_args[@]}"
measure "scratchbuild (bun src/cli.ts)" ./node_modules/.bin/bun src/cli.ts "${sb_args[@]}"
measure "GNU tar | gzip -6 (one thread, no image)" bash -c "tar -C '$work/src' -cf - . | gzip -6 >'$work/out/layer.tar.gz'"
if command -v umoci >/dev/null; then
  measure "umoci init+new+insert" bash -c "umoci init --layout '$work/out/l' && umoci new --image '$work/out/l:t' && umoci insert --rootless --image '$work/out/l:t' '$work/src' /"
fi

if command -v docker-registry >/dev/null && command -v skopeo >/dev/null; then
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  cat >"$work/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
YML
  docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  reg_pid=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  node dist/cli.js build "$work/src" --entrypoint /app/server --format oci -o "oci:$work/layout:latest" >/dev/null 2>&1
  echo
  echo "== push to a local registry, emptied before each run =="
  echo "   (scratchbuild builds and pushes from the files; skopeo pushes a prebuilt layout)"
  # Emptying the storage keeps skopeo from mounting blobs it remembers pushing before.
  wipe="rm -rf '$work/registry/docker'"
  measure "scratchbuild build+push (node)" bash -c "$wipe; node dist/cli.js build '$work/src' --entrypoint /app/server --format oci -t 127.0.0.1:$port/\$(date +%s%N)"
  measure "skopeo copy oci: -> docker:// (push only)" bash -c "$wipe; skopeo copy --dest-tls-verify=false --insecure-policy oci:'$work/layout':latest docker://127.0.0.1:$port/\$(date +%s%N):latest"
fi
