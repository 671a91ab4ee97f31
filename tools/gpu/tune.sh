#!/usr/bin/env bash
# GEMM tiling sweep on the first CUDA GPU, from the folder tools/gpu/bundle.sh made (no .NET needed):
#   tune.sh [--simulator]   (--simulator: ILGPU's CPU simulator, one small conv at two tilings, no workloads)
# Times the tiled GEMM at several tilings on ResNet-18's convolutions at batch 32 and on W3/W5/W7, checks that every
# tiling's results equal the first's (the default, which run.sh's device-op suite checks against the reference), and
# prints a summary table last. The full output goes to $OUT/tune.log when OUT is set. About a minute on an H200.
set -u
here=$(cd "$(dirname "$0")" && pwd)
sim=(); [ "${1:-}" = --simulator ] && sim=(--simulator)
logs=${OUT:-$(mktemp -d)}
mkdir -p "$logs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if command -v xz >/dev/null 2>&1; then tar -xJf "$here/payload.tar.xz" -C "$work"
else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/payload.tar.xz" "$work"; fi
export DOTNET_ROOT="$work/dotnet" DOTNET_ROOT_X64="$work/dotnet" DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# ILGPU opens "libcuda.so"; drivers may install only libcuda.so.1 (see run.sh).
if [ ${#sim[@]} -eq 0 ]; then
  cuda1=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | awk '$1 == "libcuda.so.1" && /x86-64/ {print $NF; exit}')
  [ -z "$cuda1" ] && [ -e /usr/local/nvidia/lib64/libcuda.so.1 ] && cuda1=/usr/local/nvidia/lib64/libcuda.so.1
  if [ -n "$cuda1" ]; then
    mkdir -p "$work/driver" && ln -s "$cuda1" "$work/driver/libcuda.so"
    export LD_LIBRARY_PATH="$work/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi
set -o pipefail
"$work/dotnet/dotnet" "$work/gpucheck/Strider.GpuCheck.dll" tune "${sim[@]}" --results "$logs/tune.tsv" 2>&1 | tee "$logs/tune.log" | grep -E '^(==|\||TILINGS|FAIL)|against the first tiling: .*FAILED'
