#!/usr/bin/env bash
# Regenerates the checked-in PTX from src/main/cuda/*.cu, or checks that it is up to date.
#
#   ./regen-ptx.sh                 write src/main/resources/dev/ember/kernels/*.ptx
#   ./regen-ptx.sh --check         write into target/generated-ptx, fail if it differs from the
#                                  checked-in files, and assemble every PTX with ptxas for sm_80
#                                  and sm_90 (the Maven 'nvcc' profile runs this)
#
# nvcc 13 stamps its PTX '.version 9.0', which drivers older than CUDA 13 reject. The kernels use
# no PTX feature newer than ISA 8.0 (CUDA 12.0), so the header is rewritten to '.version 8.0' and
# ptxas verifies that the rewritten text still assembles. NVCC may name the compiler to use.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$here/src/main/cuda"
checked_in="$here/src/main/resources/dev/ember/kernels"
mode="${1:-write}"

find_tool() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
    if [ -x "$d/$name" ]; then echo "$d/$name"; return; fi
  done
  echo "regen-ptx: $name not found on PATH or in /usr/local/cuda*/bin" >&2
  exit 2
}
nvcc="${NVCC:-$(find_tool nvcc)}"
ptxas="${PTXAS:-$(dirname "$nvcc")/ptxas}"
[ -x "$ptxas" ] || ptxas="$(find_tool ptxas)"

case "$mode" in
  write) out="$checked_in" ;;
  --check) out="$here/target/generated-ptx" ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
mkdir -p "$out"

for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  "$nvcc" -ptx -arch=compute_80 -O3 -std=c++17 -I "$src" -o "$out/$name.ptx.tmp" "$cu"
  sed -e 's/^\.version [0-9.]*$/.version 8.0/' "$out/$name.ptx.tmp" > "$out/$name.ptx"
  rm -f "$out/$name.ptx.tmp"
  for arch in sm_80 sm_90; do
    "$ptxas" -arch="$arch" -o /dev/null "$out/$name.ptx"
  done
  echo "regen-ptx: $name.ptx ok (ptxas sm_80, sm_90)"
done

if [ "$mode" = "--check" ]; then
  if ! diff -r -q "$checked_in" "$out"; then
    echo "regen-ptx: checked-in PTX differs from $out; run kernels/regen-ptx.sh and commit" >&2
    exit 1
  fi
  echo "regen-ptx: checked-in PTX is up to date"
fi
