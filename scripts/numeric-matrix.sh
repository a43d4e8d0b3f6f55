#!/usr/bin/env bash
# Runs the numeric tests (PyTorch / scikit-learn / numpy parity, kernels, finite differences) under
# several OpenBLAS kernels and thread counts: float32 results depend on the kernel's blocking and
# on the thread split, and every tolerance must hold for all of them, not only for the kernel this
# machine picks. Usage: scripts/numeric-matrix.sh [test-file-filter …]
set -uo pipefail
cd "$(dirname "$0")/.."
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(test/parity test/gradcheck src/tensor/ src/nn/ src/optim/ src/som/fixtures src/desom/desom.test src/som/gradient.test src/som/som.test src/cluster/ src/ae/autoencoder.test src/metrics/)
fi
# name|environment changes (OPENBLAS_CORETYPE=<core>, or unset for the machine's own kernel).
# On a CPU with AVX-512 the native backend gives large float32 products to its own kernels
# (LATENTLAB_GEMM=auto); a machine with AVX2 only runs them all on OpenBLAS, so the AVX2-era
# OpenBLAS kernels are tested with LATENTLAB_GEMM=openblas, and our AVX2 kernels by forcing them.
settings=(
  "own kernel|-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
  "Haswell|OPENBLAS_CORETYPE=Haswell LATENTLAB_GEMM=openblas"
  "SkylakeX|OPENBLAS_CORETYPE=SkylakeX"
  "SkylakeX, OpenBLAS only|OPENBLAS_CORETYPE=SkylakeX LATENTLAB_GEMM=openblas"
  "Zen|OPENBLAS_CORETYPE=Zen LATENTLAB_GEMM=openblas"
  "Sandybridge|OPENBLAS_CORETYPE=Sandybridge LATENTLAB_GEMM=openblas"
  "own kernel, 1 thread|-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LATENTLAB_THREADS=1"
  "our AVX2 GEMM|LATENTLAB_GEMM=own LATENTLAB_GEMM_ISA=avx2"
)
# A kernel is forced only where the CPU has its instructions (a forced SkylakeX kernel would stop
# a CPU without AVX-512 with SIGILL); such a setting is reported, not silently dropped.
flags=$(grep -m1 -E '^flags' /proc/cpuinfo 2>/dev/null || true)
needs() {
  case "$1" in
    SkylakeX*) echo "avx512f avx512bw avx512dq avx512vl" ;;
    Haswell|Zen|"our AVX2 GEMM") echo "avx2 fma" ;;
    Sandybridge) echo "avx" ;;
  esac
}
failed=0
for s in "${settings[@]}"; do
  name=${s%%|*}
  missing=""
  for f in $(needs "$name"); do grep -qw "$f" <<<"$flags" || missing="$missing $f"; done
  if [ -n "$missing" ]; then
    echo "numeric tests, ${name}: not run, this CPU lacks${missing}"
    continue
  fi
  # shellcheck disable=SC2086
  out=$(env ${s#*|} node scripts/run-tests.mjs "${files[@]}" 2>&1)
  rc=$?
  pass=$(grep -E '^# pass ' <<<"$out" | awk '{print $3}')
  fail=$(grep -E '^# fail ' <<<"$out" | awk '{print $3}')
  echo "numeric tests, ${name}: ${pass:-0} passed, ${fail:-?} failed"
  if [ $rc -ne 0 ]; then
    failed=1
    grep -E '^not ok|^    not ok|error:' <<<"$out" | head -40
  fi
done
exit $failed
