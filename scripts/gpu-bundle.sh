#!/usr/bin/env bash
# Builds Ember here (a CPU machine with a JDK and Maven's cache) and assembles gpu-bundle/: everything
# scripts/gpu-check.sh needs on a GPU machine that has no JDK, no Maven and no network. docs/gpu.md
# says how the two fit together.
#
#   bash scripts/gpu-bundle.sh              # build, assemble, verify from the bundle, print the size
#   bash scripts/gpu-bundle.sh --no-build   # reuse the current target/ folders
#   bash scripts/gpu-bundle.sh --no-verify  # skip running tests from the bundle
#
# gpu-bundle/ (git-ignored; carried to the device machine with carry ["gpu-bundle"]; 64 MiB in all
# with the working tree):
#   jre.tar.xz      jlink'ed Java runtime (the modules jdeps finds, plus java.desktop: the digits data
#                   set and the chart use Java2D), libjvm stripped, with the system libraries it links
#                   (jre/syslib) and DejaVu fonts + fonts.conf.in (jre/fonts); unpacked there on use
#   lib/            runtime jars: Ember's modules, JCuda/JCublas (+ linux-x86_64 natives, without the
#                   PTX compiler and NVRTC, which Ember does not call), JavaCPP and OpenBLAS (+ natives).
#                   ND4J's Java API (nd4j-api, nd4j-common) but NOT nd4j-native (90 MB): backend-cpu runs on
#                   JavaCPP + OpenBLAS and falls back to Java kernels without ND4J's natives; the verify
#                   step below runs the conformance suite from the bundle to prove it.
#   test/           tests test-jar, backend-cuda's test classes, junit-platform-console-standalone
#   bench/          bench.jar + JMH's jars (only when the bench module built)
#   tools/          CudaInfo.class, FontCheck.class (scripts/gpu/*.java)
#   pytorch/        workloads.py, common.py from ../shared/bench/pytorch (../shared does not travel)
#   MANIFEST.txt    git revision, build time, files, sizes
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
B="$ROOT/gpu-bundle"
LIMIT=$((64 * 1024 * 1024))
BUILD=1 VERIFY=1
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    --no-verify) VERIFY=0 ;;
    *) echo "usage: $0 [--no-build] [--no-verify]" >&2; exit 2 ;;
  esac
done
log() { echo "[gpu-bundle] $*" >&2; }
die() { echo "[gpu-bundle] ERROR: $*" >&2; exit 1; }
for t in jlink jdeps jar javac xz; do command -v "$t" >/dev/null || die "$t not found (needs a full JDK 17+ and xz)"; done
[ "$(uname -m)" = x86_64 ] || die "build the bundle on x86-64 Linux: the GPU machine is x86-64 and the runtime is this JDK's"
M2="${MAVEN_REPO:-$HOME/.m2/repository}"
VERSION=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
JUNIT=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -1)
[ -n "$VERSION" ] && [ -n "$JUNIT" ] || die "cannot read version/junit.version from pom.xml"
case "$JUNIT" in 5.*) PLATFORM="1.${JUNIT#5.}" ;; *) PLATFORM="$JUNIT" ;; esac
STAGE=$(mktemp -d /tmp/ember-gpu-bundle.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT

# ------------------------------------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
  log "building: ./mvnw -q -B -DskipTests -P '!nvcc' install"
  if ! ./mvnw -q -B -DskipTests -P '!nvcc' install >&2; then
    [ -f bench/pom.xml ] || die "build failed"
    log "build failed; retrying without the bench module (it is optional in the bundle)"
    ./mvnw -q -B -DskipTests -P '!nvcc' -pl '!bench' install >&2 || die "build failed"
    BENCH_FAILED=1   # bench/target may be stale or partial: leave it out
  fi
fi
BENCH=0; BENCH_FAILED=${BENCH_FAILED:-0}
if [ "$BENCH_FAILED" = 0 ] && [ -f bench/target/bench.jar ] && [ -d bench/target/lib ]; then BENCH=1; fi

need() { [ -e "$1" ] || die "missing $1 (build first, without --no-build)"; echo "$1"; }
rm -rf "$B"
mkdir -p "$B"/lib "$B"/test "$B"/tools "$B"/pytorch

# ------------------------------------------------------------------------------------------- jars
for m in tensor-api backend-cpu kernels backend-cuda examples; do
  cp "$(need "$m/target/$m-$VERSION.jar")" "$B/lib/"
done
# Third-party runtime jars: the versions Maven resolved for examples (it depends on both backends).
shopt -s nullglob
# ND4J: only its Java API (nd4j-api, nd4j-common), never nd4j-native's 90 MB of natives.
# backend-cpu's Nd4jKernels links ND4J classes (so they must resolve) but runs everything in Java when
# ND4J's natives are absent; gpu-check.sh passes -Dember.cpu.noNd4j=true so it does not even try.
for pat in 'javacpp-*.jar' 'openblas-*.jar' 'jcuda-*.jar' 'jcublas-*.jar' 'nd4j-api-*.jar' 'nd4j-common-*.jar'; do
  for j in examples/target/lib/$pat; do
    case "$(basename "$j")" in
      *-linux-arm64.jar|*-linux-ppc64le.jar|*-linux-x86.jar|*-windows-*|*-macosx-*|*-android-*) continue ;;
    esac
    cp "$j" "$B/lib/"
  done
done
for p in 'jcuda-natives-*-linux-x86_64.jar' 'jcublas-natives-*-linux-x86_64.jar' \
         'javacpp-*-linux-x86_64.jar' 'openblas-*-linux-x86_64.jar'; do
  set -- "$B"/lib/$p
  [ -f "${1:-}" ] || die "$p is missing from examples/target/lib"
done
! ls "$B/lib" | grep -qi 'nd4j-native' || die "nd4j-native jars leaked into the bundle"
# Slim two natives jars: JCuda's nvPTXCompiler (24 MB) and NVRTC bindings are used by the kernels
# module's tests only; OpenBLAS's C headers are not needed at run time.
slim() { # JAR PATTERN...: rewrite JAR without the entries matching the patterns
  local jar="$1" d="$STAGE/slim"; shift
  rm -rf "$d"; mkdir -p "$d"; (cd "$d" && jar --extract --file "$jar")
  for p in "$@"; do find "$d" -path "$d/$p" -prune -exec rm -rf {} +; done
  rm -f "$jar"; jar --create --no-manifest --file "$jar" -C "$d" .
}
slim "$(ls "$B"/lib/jcuda-natives-*-linux-x86_64.jar)" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*'
slim "$(ls "$B"/lib/openblas-*-linux-x86_64.jar)" 'org/bytedeco/openblas/linux-x86_64/include'

# Tests: the suite's test-jar, backend-cuda's test classes (CudaBackendGpuTest), JUnit's console.
cp "$(need "tests/target/tests-$VERSION-tests.jar")" "$B/test/"
need backend-cuda/target/test-classes/dev/ember/backend/cuda/CudaBackendGpuTest.class >/dev/null
jar --create --file "$B/test/backend-cuda-$VERSION-tests.jar" -C backend-cuda/target/test-classes .
CONSOLE="junit-platform-console-standalone-$PLATFORM.jar"
CJ="$M2/org/junit/platform/junit-platform-console-standalone/$PLATFORM/$CONSOLE"
if [ ! -f "$CJ" ]; then
  log "fetching $CONSOLE from Maven Central"
  ./mvnw -q -B dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$PLATFORM" >&2 \
    || die "could not fetch $CONSOLE"
fi
cp "$CJ" "$B/test/"

# Bench (optional): its jar and JMH's; Ember's jars and the natives are already in lib/.
if [ "$BENCH" = 1 ]; then
  mkdir -p "$B/bench"
  cp bench/target/bench.jar "$B/bench/"
  for j in bench/target/lib/jmh-core-*.jar bench/target/lib/jopt-simple-*.jar bench/target/lib/commons-math3-*.jar; do
    cp "$j" "$B/bench/"
  done
  log "bench: included ($(ls "$B/bench" | tr '\n' ' '))"
else
  log "bench: not built (bench/target/bench.jar missing): gpu-check.sh will skip the JMH stage"
fi

javac --release 17 -nowarn -d "$B/tools" -cp "$B/lib/tensor-api-$VERSION.jar" scripts/gpu/CudaInfo.java scripts/gpu/FontCheck.java

# The PyTorch side of the comparison.
PT="$ROOT/../shared/bench/pytorch"
for f in workloads.py common.py; do
  if [ -f "$PT/$f" ]; then cp "$PT/$f" "$B/pytorch/"; else log "warning: $PT/$f not found: the PyTorch stage will be skipped"; fi
done

# ------------------------------------------------------------------------------------------- jre
# jlink'ed uncompressed, libjvm stripped, then packed as one jre.tar.xz: solid compression makes it
# about a third of jlink --compress=2's size. gpu-check.sh unpacks it into /tmp when it needs it.
J="$STAGE/jre"
MODS=$( { jdeps -q --multi-release 17 --ignore-missing-deps --print-module-deps \
  "$B"/lib/*.jar "$B"/test/*.jar "$B"/tools $( [ "$BENCH" = 1 ] && ls "$B"/bench/*.jar ) 2>/dev/null || true; } | tail -1)
# Always: Unsafe (JavaCPP, JMH), JMX (a JMH fork reads the host JVM's arguments), logging, Java2D.
MODS=$(echo "${MODS:-java.base},java.base,java.desktop,java.logging,java.management,jdk.unsupported,java.naming,java.xml,java.scripting,jdk.zipfs" \
  | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
log "jlink modules: $MODS"
jlink --add-modules "$MODS" --strip-debug --no-man-pages --no-header-files --compress=0 --output "$J"
# Unused headless, and they need X11, ALSA or the splash libraries.
rm -f "$J/lib/libawt_xawt.so" "$J/lib/libsplashscreen.so" "$J/lib/libjsound.so"
if command -v strip >/dev/null; then strip --strip-unneeded "$J/lib/server/libjvm.so"; fi

# System libraries the runtime links that a bare CUDA image may lack: Debian's JDK links freetype,
# harfbuzz, lcms2, libjpeg, zlib ... from the system and dlopens fontconfig. The C runtime, libstdc++
# and libgcc_s stay the target's own. gpu-check.sh puts jre/syslib on LD_LIBRARY_PATH of the java
# processes only, and only when it runs this runtime.
mkdir -p "$J/syslib"
SKIP='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libstdc\+\+|libgcc_s)'
fc=$(ldconfig -p | awk '/libfontconfig\.so\.1 .*x86-64/ {print $NF; exit}')
for f in $(find "$J/lib" -name '*.so') $fc; do
  LD_LIBRARY_PATH="$J/lib:$J/lib/server" ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  [[ "$name" =~ $SKIP ]] && continue
  case "$path" in "$J"/*) continue ;; esac
  cp -L "$path" "$J/syslib/$name"
done
if [ -n "$fc" ]; then
  cp -L "$fc" "$J/syslib/libfontconfig.so.1"
else
  log "warning: no libfontconfig here: Java2D will find no fonts there (digits drawn with pen strokes)"
fi
# Fonts: the DejaVu families fontconfig gives Java here, with aliases for Java's logical fonts, so
# the synthetic digits (SyntheticDigits draws them with fonts) are the same pixels there as here.
mkdir -p "$J/fonts"
FONTS=0
for f in DejaVuSans DejaVuSans-Bold DejaVuSans-Oblique DejaVuSans-BoldOblique DejaVuSerif DejaVuSerif-Bold \
         DejaVuSerif-Italic DejaVuSerif-BoldItalic DejaVuSansMono DejaVuSansMono-Bold DejaVuSansMono-Oblique \
         DejaVuSansMono-BoldOblique; do
  p=$(find /usr/share/fonts -name "$f.ttf" 2>/dev/null | head -1)
  if [ -n "$p" ]; then cp "$p" "$J/fonts/"; FONTS=$((FONTS + 1)); fi
done
cp scripts/gpu/fonts.conf.in "$J/fonts/fonts.conf.in"
"$J/bin/java" -version 2>&1 | head -1 >&2
log "jre: $(du -sh "$J" | cut -f1) unpacked ($(ls "$J/syslib" | wc -l) system libraries, $FONTS fonts); packing"
tar -C "$STAGE" -cf - jre | xz -9 -T0 > "$B/jre.tar.xz"
log "jre.tar.xz: $(du -sh "$B/jre.tar.xz" | cut -f1)"

# ------------------------------------------------------------------------------------------- manifest
{
  echo "Ember GPU bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m) by scripts/gpu-bundle.sh"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "version: $VERSION, junit platform: $PLATFORM, bench: $BENCH"
  echo "jre: $("$J/bin/java" -version 2>&1 | head -1); modules: $MODS"
  echo
  (cd "$B" && find . -type f | sort | xargs ls -l | awk '{printf "%10d  %s\n", $5, $9}')
} > "$B/MANIFEST.txt"

# ------------------------------------------------------------------------------------------- verify
if [ "$VERIFY" = 1 ]; then
  log "verify: unpack jre.tar.xz; run the conformance suite from the bundle on cpu (no nd4j-native)"
  V="$STAGE/verify"; mkdir -p "$V"; xz -dc "$B/jre.tar.xz" | tar -C "$V" -xf -
  sed "s|@DIR@|$V/jre/fonts|g" "$V/jre/fonts/fonts.conf.in" > "$V/jre/fonts/fonts.conf"
  vjava() { env OMP_WAIT_POLICY=PASSIVE LD_LIBRARY_PATH="$V/jre/syslib" FONTCONFIG_FILE="$V/jre/fonts/fonts.conf" \
    "$V/jre/bin/java" -Xss4m -Xmx2g -Dember.cpu.noNd4j=true -Dorg.bytedeco.javacpp.cachedir="$STAGE/javacpp" "$@"; }
  vlog="$STAGE/verify.log"
  if vjava -Dember.test.devices=cpu -cp "$B/lib/*:$B/test/*" org.junit.platform.console.ConsoleLauncher execute \
      --disable-banner --disable-ansi-colors --details=summary --details-theme=ascii \
      --scan-classpath "$(ls "$B"/test/tests-*-tests.jar)" $(cat scripts/gpu/junit-excludes.txt 2>/dev/null | sed -n 's/^\([^#].*\)$/--exclude-classname \1/p') \
      >"$vlog" 2>&1; then
    grep -E '^golden\[|tests (successful|failed)' "$vlog" | sed 's/^/[gpu-bundle]   /' >&2
  else
    cat "$vlog" >&2
    die "the conformance suite failed from the bundle (see above): a jar or library is missing?"
  fi
  log "verify: $(vjava -cp "$B/lib/*:$B/tools" FontCheck 2>&1 | tail -1)"
fi

SIZE=$(du -sb "$B" | cut -f1)
TREE=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
UNTRACKED=$(git ls-files -z --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
TOTAL=$((SIZE + TREE + ${UNTRACKED:-0}))
awk -v s="$SIZE" -v t="$TOTAL" 'BEGIN { printf "[gpu-bundle] gpu-bundle/: %d bytes (%.1f MiB); with the working tree: %.1f MiB of the 64 MiB the run tool carries\n", s, s / 1048576, t / 1048576 }' >&2
echo "gpu-bundle bytes: $SIZE (with the working tree: $TOTAL)" >> "$B/MANIFEST.txt"
[ "$TOTAL" -lt "$LIMIT" ] || die "the bundle and the working tree exceed 64 MiB ($TOTAL bytes): the run tool will refuse them"
