#!/usr/bin/env bash
# The one-shot GPU check, run from the folder tools/gpu/bundle.sh made, on a machine with no .NET installed:
#   run.sh              on the first CUDA GPU (at most about 8 minutes)
#   run.sh --simulator  the same checks on ILGPU's CPU simulator at small sizes (under a minute of work)
# Steps: what ILGPU sees; the shared device-op suite on the accelerator against the reference device; one training
# step of LeNet and the U-net on the accelerator against the CPU device; W3/W5/W7 timings, and PyTorch's on the GPU
# when python3 has torch; one table last. Exits non-zero when any step fails or disagrees. Full logs go to $OUT when
# it is set (the GPU tool returns only the end of the output), else to a temporary folder named at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mode=gpu
case "${1:-}" in
  "") ;;
  --simulator) mode=simulator ;;
  *) echo "usage: run.sh [--simulator]" >&2; exit 2 ;;
esac
sim=(); [ "$mode" = simulator ] && sim=(--simulator)

logs=${OUT:-}
[ -n "$logs" ] || logs=$(mktemp -d)
mkdir -p "$logs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$logs/gpucheck.log"
: >"$log"
say() { echo "$*" | tee -a "$log"; }

# The payload: a .NET runtime (dotnet host, host/fxr, shared/Microsoft.NETCore.App), the runtime test assembly and the
# check app. xz may be missing on a bare image; python3's tarfile reads .tar.xz too.
if command -v xz >/dev/null 2>&1; then
  tar -xJf "$here/payload.tar.xz" -C "$work"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/payload.tar.xz" "$work"
else
  say "FAIL: neither xz nor python3 is here to unpack payload.tar.xz"; exit 1
fi
export DOTNET_ROOT="$work/dotnet" DOTNET_ROOT_X64="$work/dotnet"
# A bare image may lack ICU; nothing checked here depends on culture.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet="$work/dotnet/dotnet"

# ILGPU opens the CUDA driver as "libcuda.so"; a driver install may provide only libcuda.so.1 (the unversioned name
# comes with development packages), so a link to it goes first on the library path.
if [ "$mode" = gpu ]; then
  cuda1=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | awk '$1 == "libcuda.so.1" && /x86-64/ {print $NF; exit}')
  if [ -z "$cuda1" ]; then
    for d in /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat; do
      [ -e "$d/libcuda.so.1" ] && { cuda1="$d/libcuda.so.1"; break; }
    done
  fi
  if [ -n "$cuda1" ]; then
    mkdir -p "$work/driver" && ln -s "$cuda1" "$work/driver/libcuda.so"
    export LD_LIBRARY_PATH="$work/driver${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    say "CUDA driver library: $cuda1"
  else
    say "No libcuda.so.1 in ldconfig's cache or the usual folders: ILGPU will likely find no CUDA device."
  fi
fi
check=("$dotnet" "$work/gpucheck/Strider.GpuCheck.dll")
tests=("$dotnet" "$work/tests/Strider.Runtime.Tests.dll" -noLogo -noColor)

failed=()
# The whole check ends within 8 minutes: each step gets its own limit or what is left, whichever is less. The limits
# are for the GPU machine's lease; on the simulator (CI runs it beside other test projects on 2 cores) they are 4x.
scale=1; [ "$mode" = simulator ] && scale=4
deadline=$((SECONDS + 470 * scale))
# step NAME SECONDS COMMAND...: runs it with a time limit, its output to the screen and the log.
step() {
  local name=$1 limit=$(($2 * scale)); shift 2
  local start=$SECONDS left=$((deadline - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 5 ]; then
    say "== $name: FAILED (not run: the time budget is spent)"; failed+=("$name"); return
  fi
  say "== $name"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then say "== $name: ok ($((SECONDS - start)) s)"
  else
    [ "$rc" -eq 124 ] && say "== $name: timed out after $limit s"
    say "== $name: FAILED (exit $rc, $((SECONDS - start)) s)"; failed+=("$name")
  fi
}

say "GPU check ($mode) on $(uname -srm), $(date -u +%FT%TZ)"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv 2>&1 | tee -a "$log"

step "what ILGPU sees" 60 "${check[@]}" info "${sim[@]}"

if [ "$mode" = gpu ]; then
  step "device-op suite on CUDA against the reference device" 180 \
    env STRIDER_ILGPU_TEST_ACCELERATOR=cuda "${tests[@]}" -class Strider.Runtime.Tests.Ilgpu.IlgpuDeviceOpTests -result-xml "$logs/device-op-tests.xml"
  # The CUDA facts skip where ILGPU finds no CUDA device: here a skip is a failure.
  step "CUDA facts" 60 "${tests[@]}" -failSkips -method "*.Cuda_*"
else
  # A sample of the suite: all of it takes minutes on the simulator (CI runs it in full).
  ops=(Multiply_Add_Fill_and_Copy_match_reference Dense_matches_reference Softmax_matches_reference MaxPool_forward_and_backward_match_reference)
  filters=()
  for op in "${ops[@]}"; do filters+=(-method "Strider.Runtime.Tests.Ilgpu.IlgpuDeviceOpTests.$op"); done
  step "device-op suite (sample) on the simulator against the reference device" 120 \
    env STRIDER_ILGPU_TEST_ACCELERATOR=cpu "${tests[@]}" "${filters[@]}"
fi

step "training step on the accelerator against the CPU device" 90 "${check[@]}" agree "${sim[@]}"
step "Strider timings" 150 "${check[@]}" time "${sim[@]}" --results "$logs/strider-times.tsv"

torch_rows=()
if [ "$mode" = simulator ]; then
  say "PyTorch rows skipped on the simulator (they time the GPU)."
elif command -v python3 >/dev/null 2>&1 && python3 -c 'import torch' >/dev/null 2>&1; then
  step "PyTorch timings" 90 env PYTHONUNBUFFERED=1 python3 "$here/torch_workloads.py" --results "$logs/torch-times.tsv"
  torch_rows=("$logs/torch-times.tsv")
else
  say "python3 has no torch here: no PyTorch rows."
fi

say "== times (median of the timed runs after warm-ups; ratio = PyTorch time / Strider time, 1 = as fast as PyTorch)"
"${check[@]}" table "$logs/strider-times.tsv" "${torch_rows[@]}" 2>&1 | tee -a "$log"
say "logs: $logs"
if [ ${#failed[@]} -eq 0 ]; then
  say "GPU CHECK ($mode): PASSED"
  exit 0
fi
say "GPU CHECK ($mode): FAILED: $(IFS=';'; echo "${failed[*]}")"
exit 1
