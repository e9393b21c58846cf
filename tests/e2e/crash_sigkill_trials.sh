# Crash safety: hoist is killed with SIGKILL (its whole process group, RUN helpers included) at a
# random moment of a build (COPY, RUN), a push, a pull and a store write (an import), trial after
# trial. After every kill `hoist fsck` finds the store sound (every blob matches its digest,
# every image's and cache entry's blobs are there), and the interrupted command, run again,
# succeeds; a pulled image has the pushed digest. HOIST_CRASH_TRIALS trials in all (default 24;
# the closing figures of issue 10 come from 200), HOIST_CRASH_SEED seeds the kill moments.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
source "$lib_dir/registry.bash"
[[ $(id -u) == 0 ]] || { echo "skip: RUN as root here"; exit 77; }

trials=${HOIST_CRASH_TRIALS:-24}
RANDOM=${HOIST_CRASH_SEED:-10}
start_registry basic
creds=(--creds "$HOIST_TEST_CREDS")
make_busybox_base e2e/busybox:1

mkdir -p ctx rootfs
head -c 30000000 /dev/urandom >ctx/big.bin
head -c 20000000 /dev/urandom >rootfs/data.bin
printf 'FROM e2e/busybox:1\nCOPY big.bin /big.bin\nRUN head -c 20000000 /big.bin > /half && echo $RANDOM > /r\n' \
    >ctx/Dockerfile

# The operations, each a command run as its own process group.
op_build() { "$HOIST" -q build --no-cache -t e2e/built:1 ctx; }
op_push() { "$HOIST" -q "${creds[@]}" push e2e/built:1 "$HOIST_TEST_REGISTRY/e2e/crash:1"; }
op_pull() { "$HOIST" -q "${creds[@]}" pull "$HOIST_TEST_REGISTRY/e2e/crash:1"; }
op_import() { "$HOIST" -q import rootfs e2e/imported:1; }
ops=(build push pull import)

# Each operation once, unharmed: it works, and how long it takes bounds the kill moments.
declare -A took
for op in "${ops[@]}"; do
    start=$(date +%s%N)
    op_"$op" >/dev/null || fail "$op before any kill"
    took[$op]=$((($(date +%s%N) - start) / 1000000))
done
remote_digest() { "$HOIST" inspect "docker://$HOIST_TEST_REGISTRY/e2e/crash:1" "${creds[@]}" | jq -r .Digest; }

killed=0
for ((trial = 0; trial < trials; trial++)); do
    op=${ops[trial % ${#ops[@]}]}
    # A fresh start for pulls, so that there is something to write; blobs pushed stay.
    if [[ $op == pull ]]; then
        "$HOIST" rmi "$HOIST_TEST_REGISTRY/e2e/crash:1" >/dev/null 2>&1 || true
    fi
    delay_ms=$((RANDOM % (took[$op] + 1)))
    setsid bash -c "$(declare -f op_"$op"); $(declare -p HOIST HOIST_TEST_REGISTRY creds); op_$op" \
        >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '0.%03d' "$delay_ms")"
    if kill -KILL -- "-$pid" 2>/dev/null; then
        killed=$((killed + 1))
    fi
    wait "$pid" 2>/dev/null || true
    "$HOIST" fsck >fsck.out 2>&1 || { cat fsck.out >&2; fail "trial $trial: fsck after killing $op at ${delay_ms} ms"; }
    op_"$op" >/dev/null 2>run.err || { cat run.err >&2; fail "trial $trial: $op again after a kill at ${delay_ms} ms"; }
    "$HOIST" fsck >fsck.out 2>&1 || { cat fsck.out >&2; fail "trial $trial: fsck after $op ran again"; }
    if [[ $op == pull ]]; then
        expect_eq "$("$HOIST" inspect "local:$HOIST_TEST_REGISTRY/e2e/crash:1" | jq -r .Digest)" "$(remote_digest)" \
            "trial $trial: the pulled digest"
    fi
done
# The image pushed last is the one built last, whole.
expect_eq "$(remote_digest)" "$("$HOIST" inspect local:e2e/built:1 | jq -r .Digest)" \
    "the registry's image after the last push"
((killed >= trials / 2)) || fail "only $killed of $trials trials killed hoist before it finished"
echo "$trials trials, $killed killed mid-operation: fsck clean and the command succeeded again every time"
