#!/usr/bin/env bash
# Ember's GPU check: runs on the GPU machine, from the repository root, with gpu-bundle/ present (built
# here by scripts/gpu-bundle.sh and carried there). Needs no JDK, Maven or network. docs/gpu.md says
# how to call it through the device tool.
#
#   bash scripts/gpu-check.sh                 # report in $OUT (default ./gpu-out)
#   OUT=/tmp/gpu-out bash scripts/gpu-check.sh
#
# Stages, each with its own timeout inside one overall budget (GPU_CHECK_BUDGET, default 420 s); a
# failing or timed-out stage is recorded and the next one runs:
#   info         machine, nvidia-smi, the Java runtime used
#   probe        Cuda.info() (driver, device, matmul path), a smoke test, a 2048^3 GEMM rate
#   cuda-unit    backend-cuda's own tests (CudaBackendGpuTest, ...)
#   conformance  the backend conformance suite, -Dember.test.devices=cpu,cuda
#   demo         ./ember train --device cuda, 2 short epochs
#   bench        JMH W2-W4 on cuda (when gpu-bundle/bench exists)
#   pytorch      PyTorch on cuda, W2-W4, same definitions (gpu-bundle/pytorch/workloads.py)
# Without CUDA (a dry run on a CPU machine) the report says "cuda unavailable: <reason>" and the
# stages run on the CPU instead (smaller sizes), so the bundle itself is still exercised.
#
# Writes $OUT/gpu-report.md and, beside it, the raw logs (8 files at most: the device tool returns no
# more): info.log, cuda.log (probe + backend-cuda tests), conformance.log, demo.log, bench.log, jmh.json,
# pytorch.log.
#
# Environment: GPU_CHECK_BUDGET (s), GPU_CHECK_JAVA=bundled (ignore a java on PATH),
# GPU_CHECK_STAGES (default "probe cuda-unit conformance demo bench pytorch"), DEMO_ARGS, JMH_ARGS.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
B="$ROOT/gpu-bundle"
OUT="${OUT:-$ROOT/gpu-out}"
mkdir -p "$OUT"
W="${GPU_CHECK_WORK:-/tmp/ember-gpu-check}"
rm -rf "$W" && mkdir -p "$W"
BUDGET="${GPU_CHECK_BUDGET:-420}"
STAGES=" ${GPU_CHECK_STAGES:-probe cuda-unit conformance demo bench pytorch} "
T0=$(date +%s)
REPORT="$OUT/gpu-report.md"
STATUS="$W/status.tsv"
: >"$STATUS"
export OMP_WAIT_POLICY=PASSIVE PYTHONUNBUFFERED=1
for f in info.log cuda.log conformance.log demo.log bench.log pytorch.log jmh.json gpu-report.md; do rm -f "$OUT/$f"; done

elapsed() { echo $(($(date +%s) - T0)); }
say() { echo "[gpu-check $(elapsed)s] $*"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$STATUS"; say "$1: $2 ($3 s) $4"; }
HAVE_TIMEOUT=0
command -v timeout >/dev/null && HAVE_TIMEOUT=1
[ "$HAVE_TIMEOUT" = 1 ] || echo "[gpu-check] warning: no timeout(1): stages run without their time limits"

# stage NAME CAP RESERVE LOG cmd...: runs cmd with stdout+stderr appended to LOG, under a timeout of
# min(CAP, what the budget leaves after RESERVE seconds kept for later stages); records the outcome.
# Returns the command's status (124 on timeout, 99 when skipped for lack of time).
stage() {
  local name=$1 cap=$2 reserve=$3 log=$4
  shift 4
  local left=$((BUDGET - $(elapsed) - reserve - 5))
  local t=$((cap < left ? cap : left))
  if [ "$t" -lt 10 ]; then
    echo "[gpu-check] $name skipped: no time left in the ${BUDGET}s budget" >>"$log"
    record "$name" skipped 0 "no time left in the ${BUDGET}s budget"
    return 99
  fi
  say "$name: running (timeout ${t}s)"
  echo "[gpu-check] \$ $*" >>"$log"
  local s rc d
  s=$(date +%s)
  if [ "$HAVE_TIMEOUT" = 1 ]; then
    timeout -k 10 "$t" "$@" >>"$log" 2>&1 </dev/null
  else
    "$@" >>"$log" 2>&1 </dev/null
  fi
  rc=$?
  d=$(($(date +%s) - s))
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "[gpu-check] $name: TIMED OUT after ${t}s" >>"$log"
    record "$name" TIMEOUT "$d" "killed after ${t}s"
    return 124
  fi
  if [ "$rc" = 0 ]; then record "$name" ok "$d" ""; else record "$name" FAILED "$d" "exit status $rc"; fi
  return "$rc"
}

# ------------------------------------------------------------------------------------------- info
INFO="$OUT/info.log"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm); $(nproc 2>/dev/null || echo '?') cpus; $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null)"
  echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)"
  echo "repo: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
  [ -f "$B/MANIFEST.txt" ] && echo "bundle: $(head -2 "$B/MANIFEST.txt" | tr '\n' ' ')"
} >"$INFO" 2>&1
GPU_NAME="" DRIVER=""
if command -v nvidia-smi >/dev/null; then
  stage info 20 0 "$INFO" nvidia-smi -L
  stage info 20 0 "$INFO" nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv
  q=$(timeout 15 nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
  GPU_NAME=${q%%,*}
  DRIVER=$(echo "${q#*,}" | tr -d ' ')
  CUDA_VER=$(timeout 15 nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)
  [ -n "$CUDA_VER" ] && DRIVER="$DRIVER (CUDA $CUDA_VER)"
else
  echo "nvidia-smi: not found" >>"$INFO"
  record info note 0 "nvidia-smi not found"
fi

# ------------------------------------------------------------------------------------------- java
JAVA="" JAVA_KIND="" JENV=()
BUNDLE_OK=1
[ -d "$B/lib" ] && [ -d "$B/test" ] || BUNDLE_OK=0
java_major() { "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == 1 ? v[2] : v[1]) + 0; exit}'; }
if [ "${GPU_CHECK_JAVA:-auto}" != bundled ] && command -v java >/dev/null && [ "$(java_major java)" -ge 17 ] 2>/dev/null; then
  JAVA=$(command -v java)
  JAVA_KIND="java on PATH ($JAVA)"
elif [ -f "$B/jre.tar.xz" ]; then
  J="$W/jre"
  say "unpacking gpu-bundle/jre.tar.xz"
  if command -v xz >/dev/null; then
    xz -dc "$B/jre.tar.xz" | tar -C "$W" -xf - 2>>"$INFO"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$B/jre.tar.xz" "$W" 2>>"$INFO"
  fi
  if [ -x "$J/bin/java" ]; then
    sed "s|@DIR@|$J/fonts|g" "$J/fonts/fonts.conf.in" >"$J/fonts/fonts.conf" 2>/dev/null
    JAVA="$J/bin/java"
    JAVA_KIND="bundled runtime (gpu-bundle/jre.tar.xz)"
    # Of the system libraries the bundle carries (built on Debian 12, glibc 2.36), use only those this
    # machine lacks: its own are built for its C library.
    mkdir -p "$J/syslib-use"
    for l in "$J"/syslib/*; do
      n=$(basename "$l")
      if command -v ldconfig >/dev/null && ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$n (.*x86-64"; then continue; fi
      ln -sf "$l" "$J/syslib-use/$n"
    done
    echo "bundled system libraries used: $(ls "$J/syslib-use" | tr '\n' ' ')" >>"$INFO"
    JENV=(LD_LIBRARY_PATH="$J/syslib-use${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" FONTCONFIG_FILE="$J/fonts/fonts.conf")
  fi
fi
if [ -z "$JAVA" ]; then
  echo "java: none (no java 17+ on PATH and no usable gpu-bundle/jre.tar.xz)" >>"$INFO"
  record java FAILED 0 "no Java runtime: build gpu-bundle/ with scripts/gpu-bundle.sh and carry it"
  BUNDLE_OK=0
else
  echo "java: $JAVA_KIND: $("$JAVA" -version 2>&1 | head -1)" >>"$INFO"
fi
[ "$BUNDLE_OK" = 1 ] || record bundle FAILED 0 "gpu-bundle/ is missing or incomplete: run scripts/gpu-bundle.sh here and carry [\"gpu-bundle\"]"
JCACHE=/tmp/ember-javacpp
# The java command line every stage starts with (an array, since timeout runs programs, not functions).
# -Dember.cpu.noNd4j: the bundle has no ND4J natives; the CPU backend runs its Java kernels.
JRUN=(env "${JENV[@]}" "$JAVA" -Xss8m -Xmx8g -Djava.awt.headless=true -Dember.cpu.noNd4j=true
  -Dorg.bytedeco.javacpp.cachedir="$JCACHE")
CP_RT="$B/lib/*"
CP_TEST="$B/lib/*:$B/test/*"
# Test classes left out of the bundle's runs (scripts/gpu/junit-excludes.txt says why for each).
EXCLUDES=$(sed -n 's/^\([^#].*\)$/--exclude-classname \1/p' "$ROOT/scripts/gpu/junit-excludes.txt" 2>/dev/null | tr '\n' ' ')
has() { case "$STAGES" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ------------------------------------------------------------------------------------------- probe
CUDA_OK=0 CUDA_INFO="" CUDA_REASON="not probed (no usable gpu-bundle/ or Java runtime)"
CUDA_LOG="$OUT/cuda.log"
: >"$CUDA_LOG"
if [ "$BUNDLE_OK" = 1 ] && has probe; then
  echo "== probe: Cuda.info() and a smoke test" >>"$CUDA_LOG"
  stage probe 90 300 "$CUDA_LOG" "${JRUN[@]}" -cp "$CP_RT:$B/tools" CudaInfo
  # CudaInfo exits 3 when CUDA is unavailable: an answer, not a failure of the probe.
  [ $? = 3 ] && record probe "cuda unavailable" 0 "$(sed -n 's/^cuda-reason: //p' "$CUDA_LOG" | head -1 | cut -c1-160)"
  CUDA_INFO=$(sed -n 's/^cuda-info: //p' "$CUDA_LOG" | head -1)
  CUDA_REASON=$(sed -n 's/^cuda-reason: //p' "$CUDA_LOG" | head -1)
  grep -q '^cuda-available: true' "$CUDA_LOG" && CUDA_OK=1
  [ "$CUDA_OK" = 1 ] || [ -n "$CUDA_REASON" ] || CUDA_REASON="the probe did not finish (see cuda.log)"
  # Without CUDA, run the probe's checks with cpu in place of cuda: the tool itself still gets tested.
  [ "$CUDA_OK" = 1 ] || stage probe-self-test 60 300 "$CUDA_LOG" "${JRUN[@]}" -cp "$CP_RT:$B/tools" CudaInfo --self-test
  stage fonts 30 300 "$CUDA_LOG" "${JRUN[@]}" -cp "$CP_RT:$B/tools" FontCheck
fi
if [ "$CUDA_OK" = 1 ]; then
  DEV=cuda DEVICES=cpu,cuda
  say "cuda available: $CUDA_INFO"
else
  DEV=cpu DEVICES=cpu
  say "cuda unavailable: $CUDA_REASON (running the CPU stages only)"
fi

# ------------------------------------------------------------------------------------------- cuda-unit
if [ "$BUNDLE_OK" = 1 ] && has cuda-unit; then
  echo "== cuda-unit: backend-cuda's tests (GPU tests skip themselves without a device)" >>"$CUDA_LOG"
  stage cuda-unit 90 240 "$CUDA_LOG" "${JRUN[@]}" -cp "$CP_TEST" org.junit.platform.console.ConsoleLauncher execute \
    --disable-banner --disable-ansi-colors --details=summary --details-theme=ascii \
    --scan-classpath "$(ls "$B"/test/backend-cuda-*-tests.jar | head -1)" --reports-dir "$W/junit-cuda-unit"
fi

# ------------------------------------------------------------------------------------------- conformance
CONF="$OUT/conformance.log"
: >"$CONF"
if [ "$BUNDLE_OK" = 1 ] && has conformance; then
  [ "$CUDA_OK" = 1 ] || echo "[gpu-check] cuda unavailable ($CUDA_REASON): running the suite on cpu only" >>"$CONF"
  stage conformance 210 150 "$CONF" "${JRUN[@]}" -Dember.test.devices="$DEVICES" -cp "$CP_TEST" \
    org.junit.platform.console.ConsoleLauncher execute \
    --disable-banner --disable-ansi-colors --details=summary --details-theme=ascii \
    --scan-classpath "$(ls "$B"/test/tests-*-tests.jar | head -1)" --reports-dir "$W/junit-conformance" $EXCLUDES
fi

# ------------------------------------------------------------------------------------------- demo
DEMO="$OUT/demo.log"
: >"$DEMO"
if [ "$BUNDLE_OK" = 1 ] && has demo; then
  if [ "$CUDA_OK" = 1 ]; then
    DEMO_DEFAULT="--epochs 2 --train-size 10000 --test-size 2000"
  else
    DEMO_DEFAULT="--epochs 1 --train-size 2000 --test-size 500"
  fi
  # shellcheck disable=SC2086
  stage demo 90 110 "$DEMO" "${JRUN[@]}" -cp "$CP_RT" dev.ember.examples.Main train --device "$DEV" \
    ${DEMO_ARGS:-$DEMO_DEFAULT} --out "$W/cnn"
fi

# ------------------------------------------------------------------------------------------- bench
BENCH="$OUT/bench.log"
: >"$BENCH"
if [ "$BUNDLE_OK" = 1 ] && has bench; then
  if [ -f "$B/bench/bench.jar" ]; then
    if [ "$CUDA_OK" = 1 ]; then JMH_DEFAULT="-wi 5 -i 20"; else JMH_DEFAULT="-wi 1 -i 3"; fi
    # shellcheck disable=SC2086
    stage bench 130 60 "$BENCH" "${JRUN[@]}" -cp "$B/bench/*:$CP_RT" org.openjdk.jmh.Main 'TrainingBenchmarks\.w[234]$' \
      -p device="$DEV" -f 1 -foe false ${JMH_ARGS:-$JMH_DEFAULT} -rf json -rff "$OUT/jmh.json"
  else
    echo "[gpu-check] gpu-bundle/bench/bench.jar missing (the bench module was not built): skipped" >>"$BENCH"
    record bench skipped 0 "no gpu-bundle/bench/bench.jar"
  fi
fi

# ------------------------------------------------------------------------------------------- pytorch
PTLOG="$OUT/pytorch.log"
: >"$PTLOG"
if has pytorch; then
  if ! command -v python3 >/dev/null; then
    record pytorch skipped 0 "python3 not found"
  elif [ ! -f "$B/pytorch/workloads.py" ]; then
    record pytorch skipped 0 "gpu-bundle/pytorch/workloads.py missing"
  else
    stage torch-import 60 40 "$PTLOG" python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
    if grep -q 'available True' "$PTLOG"; then
      for w in W2 W3 W4; do
        stage "pytorch-$w" 45 0 "$PTLOG" env DEVICE=cuda python3 -W ignore "$B/pytorch/workloads.py" \
          --framework torch --device cuda --workload "$w" --steps 20 --warmup 5
      done
    else
      reason=$(grep -m1 -E 'Error|torch ' "$PTLOG" | cut -c1-200)
      record pytorch skipped 0 "PyTorch on cuda unavailable: ${reason:-see pytorch.log}"
    fi
  fi
fi

# ------------------------------------------------------------------------------------------- report
say "writing $REPORT"
TOTAL=$(elapsed)
# summary box of a JUnit console log: "681 tests successful, 0 tests failed, ..."
junit_counts() {
  grep -qE '^\[ *[0-9]+ tests' "$1" 2>/dev/null || { echo "(no JUnit summary: see the log)"; return; }
  grep -E '^\[ *[0-9]+ (tests|containers) (successful|failed|aborted|skipped) *\]' "$1" 2>/dev/null \
    | sed -E 's/^\[ *([0-9]+) (.*[a-z]) *\]$/\1 \2/' | paste -sd, - | sed 's/,/, /g'
}
junit_failures() { # the "Failures (N):" section, first lines
  awk '/^Failures \(/ {on = 1} /^Test run finished/ {on = 0} on' "$1" 2>/dev/null | head -n "${2:-60}"
}
tail_log() { # LOG N: last N lines, progress-bar carriage returns turned into lines
  tr '\r' '\n' <"$1" 2>/dev/null | grep -v '^\s*$' | tail -n "$2"
}
st() { awk -F'\t' -v n="$1" '$1 == n {s = $2 " (" $3 " s" ($4 != "" ? ", " $4 : "") ")"} END {print (s == "" ? "not run" : s)}' "$STATUS"; }
{
  echo "# Ember GPU check"
  echo
  if [ "$CUDA_OK" = 1 ]; then
    echo "**cuda available**: $CUDA_INFO"
  else
    echo "**cuda unavailable: $CUDA_REASON**"
    echo
    echo "(The stages below ran on the CPU instead, with smaller sizes, to exercise the bundle.)"
  fi
  echo
  echo "## Machine"
  echo
  echo '```'
  cat "$INFO"
  echo '```'
  echo
  echo "- GPU: ${GPU_NAME:-none found}; driver: ${DRIVER:-n/a}"
  echo "- Java: ${JAVA_KIND:-none}"
  echo "- total time: ${TOTAL} s of a ${BUDGET} s budget"
  echo
  echo "## Stages"
  echo
  echo "| stage | outcome |"
  echo "|---|---|"
  cut -f1 "$STATUS" | awk '!seen[$0]++' | while read -r s; do echo "| $s | $(st "$s") |"; done
  echo
  echo "## CUDA probe (Cuda.info(), smoke test, GEMM)"
  echo
  echo '```'
  grep -E '^(java|cpus|cuda-[a-z-]+|smoke[a-z-]*|gemm-[a-z]+|fonts):' "$CUDA_LOG" 2>/dev/null || echo "(no probe output)"
  echo '```'
  echo
  echo "## backend-cuda tests"
  echo
  echo "- $(junit_counts "$CUDA_LOG")"
  junit_failures "$CUDA_LOG" 40 | sed 's/^/    /'
  echo
  echo "## Conformance suite (-Dember.test.devices=$DEVICES)"
  echo
  [ -n "$EXCLUDES" ] && echo "Left out (scripts/gpu/junit-excludes.txt): $(echo "$EXCLUDES" | sed 's/--exclude-classname //g')" && echo
  echo "- outcome: $(st conformance)"
  echo "- $(junit_counts "$CONF")"
  echo
  echo '```'
  grep -E '^(nn )?golden\[|^\[conformance\]|^\[memory |^  FAILED ' "$CONF" 2>/dev/null | head -60
  echo '```'
  f=$(junit_failures "$CONF" 80)
  if [ -n "$f" ]; then echo; echo "Failures (first lines):"; echo; echo "$f" | sed 's/^/    /'; fi
  echo
  echo "## Training demo (./ember train --device $DEV ${DEMO_ARGS:-${DEMO_DEFAULT:-}})"
  echo
  echo "- outcome: $(st demo)"
  echo
  echo '```'
  tr '\r' '\n' <"$DEMO" 2>/dev/null | grep -E '^(epoch [0-9]+:|final test accuracy|ember:|Exception|Caused by)' | head -20
  echo '```'
  echo
  echo "## Benchmarks: Ember vs PyTorch, ms per training step (median, min-max, n)"
  echo
  if command -v python3 >/dev/null; then
    python3 "$ROOT/scripts/gpu/bench_table.py" "$OUT/jmh.json" "$PTLOG" 2>&1
  else
    echo "(python3 not found: see jmh.json and pytorch.log)"
  fi
  echo
  echo "- Ember (JMH): $(st bench); PyTorch: $(st pytorch-W2), $(st pytorch-W3), $(st pytorch-W4)"
  echo
  echo "## Log tails"
  for l in cuda.log conformance.log demo.log bench.log pytorch.log; do
    echo
    echo "### $l"
    echo
    echo '```'
    tail_log "$OUT/$l" 25
    echo '```'
  done
} >"$REPORT" 2>&1
# Cap each file at 15 MiB (the device tool returns files of 16 MiB at most).
for f in "$OUT"/*; do
  [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 15728640 ] && { tail -c 15728640 "$f" >"$f.tmp" && mv "$f.tmp" "$f"; }
done
# The device tool shows the last 12,000 characters of output: the report without its log tails.
echo
sed '/^## Log tails/,$d' "$REPORT"
say "done: $REPORT (+ $(ls "$OUT" | grep -v gpu-report.md | tr '\n' ' '))"
exit 0
