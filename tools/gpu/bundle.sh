#!/usr/bin/env bash
# Builds the GPU check bundle: a folder that runs on a Linux x64 machine with no .NET installed (run.sh in it).
#   tools/gpu/bundle.sh [--no-build] [-c CONFIGURATION] OUT
# OUT gets run.sh, tune.sh (a GEMM tiling sweep), torch_workloads.py and payload.tar.xz: the .NET runtime of the installed SDK (the dotnet host,
# host/fxr, shared/Microsoft.NETCore.App), the framework-dependent runtime test assembly (tests/Strider.Runtime.Tests)
# and the check app (benchmarks/Strider.GpuCheck). It fails when OUT would exceed 60 MB (the device tool carries at
# most 64 MiB with the repository). --no-build takes the projects' existing outputs.
set -euo pipefail
build=1
configuration=Release
while [ $# -gt 1 ]; do
  case "$1" in
    --no-build) build=0; shift ;;
    -c) configuration=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: bundle.sh [--no-build] [-c CONFIGURATION] OUT" >&2; exit 2; }
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
limit=$((60 * 1000 * 1000))

dotnet_exe=$(command -v dotnet) || { echo "bundle.sh: no dotnet on PATH (the .NET SDK builds the bundle)" >&2; exit 1; }
dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$dotnet_exe")")}
# The runtime the SDK's builds run on: the newest Microsoft.NETCore.App of the major version the projects target.
runtime=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | grep '^10\.' | sort -V | tail -1)
fxr=$(ls "$dotnet_root/host/fxr" | sort -V | tail -1)
[ -n "$runtime" ] || { echo "bundle.sh: no .NET 10 runtime under $dotnet_root/shared/Microsoft.NETCore.App" >&2; exit 1; }

tests_dir="$root/tests/Strider.Runtime.Tests/bin/$configuration/net10.0"
check_dir="$root/benchmarks/Strider.GpuCheck/bin/$configuration/net10.0"
if [ "$build" -eq 1 ]; then
  dotnet build "$root/tests/Strider.Runtime.Tests" -c "$configuration" -nologo -v q
  dotnet build "$root/benchmarks/Strider.GpuCheck" -c "$configuration" -nologo -v q
fi
for f in "$tests_dir/Strider.Runtime.Tests.dll" "$check_dir/Strider.GpuCheck.dll"; do
  [ -f "$f" ] || { echo "bundle.sh: $f is missing: build it (or drop --no-build)" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dotnet/host/fxr" "$stage/dotnet/shared/Microsoft.NETCore.App"
cp "$dotnet_root/dotnet" "$stage/dotnet/"
cp -r "$dotnet_root/host/fxr/$fxr" "$stage/dotnet/host/fxr/"
cp -r "$dotnet_root/shared/Microsoft.NETCore.App/$runtime" "$stage/dotnet/shared/Microsoft.NETCore.App/"
# Managed assemblies only: native libraries (ONNX Runtime, SkiaSharp) serve tests and plots the check does not run,
# test data files likewise; satellite resources are English-only here.
copy_app() {
  mkdir -p "$2"
  (cd "$1" && find . -maxdepth 1 -type f \( -name '*.dll' -o -name '*.json' -o -name '*.pdb' \) -print0 | xargs -0 cp -t "$2")
}
copy_app "$tests_dir" "$stage/tests"
copy_app "$check_dir" "$stage/gpucheck"

rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" -cf - . | xz -T2 -1 >"$out/payload.tar.xz"
cp "$root/tools/gpu/run.sh" "$root/tools/gpu/tune.sh" "$root/tools/gpu/torch_workloads.py" "$out/"
chmod +x "$out/run.sh" "$out/tune.sh"
size=$(du -sb "$out" | cut -f1)
echo "bundle: $out, $size bytes (.NET $runtime, fxr $fxr; at most $limit)"
[ "$size" -le "$limit" ] || { echo "bundle.sh: the bundle is $size bytes, over the $limit limit" >&2; exit 1; }
