#!/usr/bin/env bash
# Runs the whole test suite under Node, Deno and Bun (in that order; each runs
# even if an earlier one failed), prints per-runtime counts and a final line
# "N passed, N failed" summed over the three runners and the API doc examples
# (run by Deno). Exits non-zero if a runner failed, ran zero tests, or printed
# output that could not be parsed.
#
# Before the tests it installs missing system tools (apt), runs `npm ci` when
# node_modules does not match package-lock.json, and builds dist/ when
# scripts/build.mjs exists. Works as root in CI (CI=true, no stdin).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NO_COLOR=1
export FORCE_COLOR=0
exec </dev/null

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/scratchbuild-test-logs.XXXXXX")"
echo "test logs: $LOG_DIR"

setup_failed=0
# Each runner is killed (with its whole process group) after this many seconds,
# so a hanging test fails the run instead of eating CI's time.
RUNNER_TIMEOUT="${RUNNER_TIMEOUT:-1500}"

# --- system packages -------------------------------------------------------
ensure_system_packages() {
  local missing=() pair bin pkg
  for pair in docker-registry:docker-registry skopeo:skopeo umoci:umoci podman:podman \
    runc:runc htpasswd:apache2-utils newuidmap:uidmap openssl:openssl; do
    bin="${pair%%:*}"
    pkg="${pair#*:}"
    command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
      echo "error: missing ${missing[*]} and not root" >&2
      return 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# --- node_modules ----------------------------------------------------------
# True when every non-optional package in package-lock.json is installed at
# the locked version and the runners (deno, bun, tsx) start.
node_modules_ok() {
  [ -d node_modules ] || return 1
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    for (const [p, e] of Object.entries(lock.packages ?? {})) {
      if (!p.startsWith("node_modules/") || e.optional || e.link) continue;
      let v;
      try { v = JSON.parse(fs.readFileSync(p + "/package.json", "utf8")).version; } catch { v = undefined; }
      if (v !== e.version) { console.error(`node_modules out of date: ${p} ${v} != ${e.version}`); process.exit(1); }
    }
  ' || return 1
  ./node_modules/.bin/deno --version >/dev/null 2>&1 &&
    ./node_modules/.bin/bun --version >/dev/null 2>&1 &&
    [ -x ./node_modules/.bin/tsx ]
}

if ! ensure_system_packages; then
  echo "error: could not install system packages" >&2
  setup_failed=1
fi

if ! node_modules_ok; then
  echo "running npm ci"
  if ! npm ci --no-audit --no-fund; then
    echo "error: npm ci failed" >&2
    setup_failed=1
  fi
fi

if [ -f scripts/build.mjs ]; then
  echo "running npm run build"
  if ! npm run build; then
    echo "error: build failed" >&2
    setup_failed=1
  fi
fi

# --- runners ---------------------------------------------------------------
mapfile -t TEST_FILES < <(find tests -name '*_test.ts' -not -path '*/node_modules/*' | sort)
echo "test files: ${#TEST_FILES[@]}"

declare -A PASSED FAILED SKIPPED CODE PARSED

# Node: TAP reporter, "# pass N" / "# fail N" (+ cancelled counts as failed).
run_node() {
  local log="$LOG_DIR/node.log"
  echo
  echo "=== node $(node --version) ==="
  if [ "${#TEST_FILES[@]}" -eq 0 ]; then
    echo "no test files" | tee "$log"
    CODE[node]=1
  else
    timeout -k 30 "$RUNNER_TIMEOUT" node --import tsx --test --test-concurrency=1 --test-reporter=tap "${TEST_FILES[@]}" 2>&1 |
      tee "$log"
    CODE[node]=${PIPESTATUS[0]}
    [ "${CODE[node]}" -eq 124 ] && echo "[node] timed out after ${RUNNER_TIMEOUT}s"
  fi
  local p f c s
  p=$(grep -E '^# pass [0-9]+$' "$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+$' "$log" | tail -1 | awk '{print $3}')
  c=$(grep -E '^# cancelled [0-9]+$' "$log" | tail -1 | awk '{print $3}')
  s=$(grep -E '^# skipped [0-9]+$' "$log" | tail -1 | awk '{print $3}')
  if [ -n "$p" ] && [ -n "$f" ]; then
    PARSED[node]=1
    PASSED[node]=$p
    FAILED[node]=$((f + ${c:-0}))
    SKIPPED[node]=${s:-0}
  else
    PARSED[node]=0
  fi
}

# "PASSED FAILED 0" from Deno's summary line "ok | N passed (M steps) | N
# failed (M steps)" (tests plus steps), or nothing when the log has none.
# Deno colours it even with NO_COLOR when it thinks it is on a terminal.
deno_summary_counts() {
  local line tp ts tf fs
  line=$(sed -E 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -1)
  [ -n "$line" ] || return 0
  tp=$(sed -E 's/^[A-Za-z]+ \| ([0-9]+) passed.*/\1/' <<<"$line")
  ts=$(sed -nE 's/.*passed \(([0-9]+) steps?\).*/\1/p' <<<"$line")
  tf=$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$line")
  fs=$(sed -nE 's/.*failed \(([0-9]+) steps?\).*/\1/p' <<<"$line")
  echo "$((tp + ${ts:-0})) $((${tf:-0} + ${fs:-0})) 0"
}

# Deno: counts leaf tests from its JUnit report (a describe() is a test whose
# it()s are steps; a step or a test without steps is a leaf). Falls back to
# the summary line "ok | N passed (M steps) | N failed (M steps)".
run_deno() {
  local log="$LOG_DIR/deno.log" junit="$LOG_DIR/deno-junit.xml"
  echo
  echo "=== deno $(./node_modules/.bin/deno --version 2>/dev/null | head -1) ==="
  timeout -k 30 "$RUNNER_TIMEOUT" ./node_modules/.bin/deno test -A --junit-path="$junit" tests/ 2>&1 | tee "$log"
  CODE[deno]=${PIPESTATUS[0]}
  [ "${CODE[deno]}" -eq 124 ] && echo "[deno] timed out after ${RUNNER_TIMEOUT}s"
  local counts=""
  if [ -s "$junit" ]; then
    counts=$(node -e '
      const xml = require("fs").readFileSync(process.argv[1], "utf8");
      const unesc = (s) => s.replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&quot;/g, "\"")
        .replace(/&apos;/g, "\x27").replace(/&amp;/g, "&");
      const cases = [];
      const re = /<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
      let m;
      while ((m = re.exec(xml))) {
        const body = m[3] ?? "";
        cases.push({ name: unesc(m[1]), failed: /<failure/.test(body), skipped: /<skipped/.test(body) });
      }
      const hasChild = (c) => cases.some((d) => d.name.startsWith(c.name + " > "));
      const failedChild = (c) => cases.some((d) => d.failed && d.name.startsWith(c.name + " > "));
      let pass = 0, fail = 0, skip = 0;
      for (const c of cases) {
        if (hasChild(c)) { if (c.failed && !failedChild(c)) fail++; continue; }
        if (c.skipped) skip++; else if (c.failed) fail++; else pass++;
      }
      console.log(`${pass} ${fail} ${skip}`);
    ' "$junit" 2>/dev/null)
  fi
  if [ -z "$counts" ]; then
    counts=$(deno_summary_counts "$log")
  fi
  if [ -n "$counts" ]; then
    PARSED[deno]=1
    read -r PASSED[deno] FAILED[deno] SKIPPED[deno] <<<"$counts"
    # A type-check or load error fails the run before any test is reported.
    if [ "${CODE[deno]}" -ne 0 ] && [ "${FAILED[deno]}" -eq 0 ]; then FAILED[deno]=1; fi
  else
    PARSED[deno]=0
  fi
}

# Bun: " N pass" / " N fail" / " N skip".
run_bun() {
  local log="$LOG_DIR/bun.log"
  echo
  echo "=== bun $(./node_modules/.bin/bun --version 2>/dev/null) ==="
  timeout -k 30 "$RUNNER_TIMEOUT" ./node_modules/.bin/bun test --timeout 600000 tests/ 2>&1 | tee "$log"
  CODE[bun]=${PIPESTATUS[0]}
  [ "${CODE[bun]}" -eq 124 ] && echo "[bun] timed out after ${RUNNER_TIMEOUT}s"
  local p f s
  p=$(grep -E '^ *[0-9]+ pass$' "$log" | tail -1 | awk '{print $1}')
  f=$(grep -E '^ *[0-9]+ fail$' "$log" | tail -1 | awk '{print $1}')
  s=$(grep -E '^ *[0-9]+ skip$' "$log" | tail -1 | awk '{print $1}')
  if [ -n "$p" ]; then
    PARSED[bun]=1
    PASSED[bun]=$p
    FAILED[bun]=${f:-0}
    SKIPPED[bun]=${s:-0}
    if [ "${CODE[bun]}" -ne 0 ] && [ "${FAILED[bun]}" -eq 0 ]; then FAILED[bun]=1; fi
  else
    PARSED[bun]=0
  fi
}

# The @example blocks of the public API, run as tests by Deno (JSR shows them).
run_docs() {
  local log="$LOG_DIR/docs.log"
  echo
  echo "=== deno test --doc (examples in the API docs) ==="
  timeout -k 30 "$RUNNER_TIMEOUT" ./node_modules/.bin/deno test --doc -A src/ mod.ts 2>&1 | tee "$log"
  CODE[docs]=${PIPESTATUS[0]}
  local counts
  counts=$(deno_summary_counts "$log")
  if [ -n "$counts" ]; then
    PARSED[docs]=1
    read -r PASSED[docs] FAILED[docs] _ <<<"$counts"
    SKIPPED[docs]=0
    if [ "${CODE[docs]}" -ne 0 ] && [ "${FAILED[docs]}" -eq 0 ]; then FAILED[docs]=1; fi
  else
    PARSED[docs]=0
  fi
}

run_node
run_deno
run_bun
run_docs

# --- summary ---------------------------------------------------------------
echo
echo "=== summary ==="
total_pass=0
total_fail=0
status=$setup_failed
[ "$setup_failed" -ne 0 ] && echo "setup: FAILED (see above)"
for rt in node deno bun docs; do
  if [ "${PARSED[$rt]:-0}" -ne 1 ]; then
    echo "[$rt] no parsable test counts (exit code ${CODE[$rt]:-?}: a type-check/load error, a crash or a timeout; see its output above) -> counted as 1 failure"
    total_fail=$((total_fail + 1))
    status=1
    continue
  fi
  p=${PASSED[$rt]}
  f=${FAILED[$rt]}
  echo "[$rt] passed=$p failed=$f skipped=${SKIPPED[$rt]:-0} exit=${CODE[$rt]}"
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "${CODE[$rt]}" -ne 0 ] || [ "$f" -ne 0 ]; then status=1; fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    echo "[$rt] ran zero tests"
    status=1
  fi
done
if [ "$status" -eq 0 ]; then rm -rf "$LOG_DIR"; else echo "logs kept in $LOG_DIR"; fi
echo "$total_pass passed, $total_fail failed"
exit "$status"
