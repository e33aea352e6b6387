#!/usr/bin/env bash
# The GPU check: one script, about 9 minutes on a GPU, that proves the CUDA paths and trains the paper's
# clustering model for a fixed wall-clock budget. It writes five files to OUT, small enough to come back from a
# remote machine (at most 16 MiB each):
#   summary.txt      the exit status and seconds of each part
#   log.txt          every part's output: GPU, driver, torch and CUDA versions; the tests marked `device`
#                    (tests/test_device.py) run on DEVICE; the data generation; the training
#   throughput.txt   benchmarks/throughput.py for both architectures (with torch.compile on CUDA)
#   exp2_paper.json  the config trained: Experiment 2's paper profile ([SPLIT]'s clustering run) on synth-svhn
#                    train, scored on train images every SCORE_EVERY steps
#   progress.json    the run's record when it stopped at MINUTES: config, loss history, cluster scores against
#                    images seen, steps, seconds, hardware (auxlib.store.read_record reads it)
# The run itself (its checkpoint, about 80 MB with Adam's state) stays in $AUXLIB_RUNS, else OUT/../gpu-check-runs,
# where the same command continues it; data is generated in $AUXLIB_DATA, else OUT/../gpu-check-data.
#
# usage: benchmarks/gpu_check.sh OUT [--device cuda|cpu] [--minutes 5] [--score-every 500] [--quick]
# --quick shortens the benchmarks and scores on fewer images: the CPU dry run the test suite makes.
set -uo pipefail

out=${1:?usage: benchmarks/gpu_check.sh OUT [--device cuda|cpu] [--minutes M] [--score-every N] [--quick]}
shift
device=cuda minutes=5 score_every=500 quick=0
while [ $# -gt 0 ]; do
    case $1 in
        --device) device=$2; shift 2 ;;
        --minutes) minutes=$2; shift 2 ;;
        --score-every) score_every=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
case $device in cuda|cpu) ;; *) echo "--device must be cuda or cpu, got $device" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export AUXLIB_DATA=${AUXLIB_DATA:-$(dirname "$out")/gpu-check-data}
export AUXLIB_RUNS=${AUXLIB_RUNS:-$(dirname "$out")/gpu-check-runs}
export PYTHONPATH=$here${PYTHONPATH:+:$PYTHONPATH}
cd "$here"
: > "$out/summary.txt"
: > "$out/log.txt"
: > "$out/throughput.txt"

part() {  # part NAME COMMAND...: run a part into log.txt, note its exit status, go on whatever it returns
    local name=$1
    shift
    local start=$SECONDS
    echo "== $name" >> "$out/log.txt"
    "$@" >> "$out/log.txt" 2>&1
    local status=$?
    echo "$name: exit $status, $((SECONDS - start)) s" | tee -a "$out/summary.txt"
}

environment() {
    command -v nvidia-smi > /dev/null && nvidia-smi
    "$python" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', \
torch.cuda.is_available()); print(torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')"
}

paper_config() {
    local images=10000
    [ "$quick" = 1 ] && images=256
    "$python" -m auxlib config exp2 --profile paper --dataset synth-svhn --set extra=false device="$device" \
        score_every="$score_every" score_images=$images checkpoint_every=2000 > "$out/exp2_paper.json"
}

if [ "$quick" = 1 ]; then bench=(--repeats 1 --steps 2); else bench=(--repeats 3 --steps 20); fi
[ "$device" = cuda ] && bench+=(--compile)

throughput() {
    for arch in compact split; do
        "$python" benchmarks/throughput.py --arch $arch --device "$device" --dataset synth-svhn \
            --threads "$(nproc)" "${bench[@]}" >> "$out/throughput.txt" || return
    done
}

progress() {  # the stopped (or finished) run's record, beside the other results
    local key
    key=$("$python" -c "import json, sys; from auxlib.model.config import RunConfig; \
print(RunConfig.from_dict(json.load(open(sys.argv[1]))).key())" "$out/exp2_paper.json") || return
    cp "$AUXLIB_RUNS/$key/progress.json" "$out/progress.json" 2>/dev/null || cp "$AUXLIB_RUNS/$key/run.json" \
        "$out/progress.json"
}

part environment environment
part "device tests" env AUXLIB_TEST_DEVICE="$device" "$python" -m pytest -q -p no:cacheprovider tests/test_device.py
part synth-svhn "$python" -c "from auxlib import data; data.load('synth-svhn', 'train')"
part throughput throughput
part "paper config" paper_config
part "train $minutes min" "$python" -m auxlib train --config "$out/exp2_paper.json" --max-minutes "$minutes"
part progress progress
! grep -qv "exit 0" "$out/summary.txt"
