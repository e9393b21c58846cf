# A flaky network: push, pull, copy and sync of a 4-layer image through tools/faultproxy, which
# resets connections mid-request and mid-response, answers 500/502/503 and 429 (Retry-After),
# truncates bodies, stalls and lies about Content-Length, at fault rates of 10% and 30%, for
# HOIST_FAULT_SEEDS seeds each (default 2; the closing figures of issue 10 come from 50). Every
# run either completes, and then the image read back directly from the registry (or the store
# pulled into) has the source's digest, or fails with one clear "hoist: ..." line; it never
# hangs (a run over 150 s fails the test), never leaves a manifest at the destination whose
# blobs are missing or corrupt, and never leaves a store that `hoist fsck` finds unsound.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
source "$lib_dir/registry.bash"

seeds=${HOIST_FAULT_SEEDS:-2}
rates=(${HOIST_FAULT_RATES:-0.1 0.3})
faultproxy=$HOIST_SOURCE_DIR/tools/faultproxy
password=fault-test-$RANDOM$RANDOM
start_registry basic --password "$password"
source_registry=$HOIST_TEST_REGISTRY source_log=$HOIST_TEST_REGISTRY_LOG
start_registry basic --password "$password"
destination_registry=$HOIST_TEST_REGISTRY
creds=(--creds "$HOIST_TEST_CREDS")

proxies=()
stop_proxies() { ((${#proxies[@]} == 0)) || kill "${proxies[@]}" 2>/dev/null || true; }
eval "previous_trap=($(trap -p EXIT))"
trap "stop_proxies; ${previous_trap[2]:-}" EXIT
# start_proxy UPSTREAM RATE SEED: a faultproxy in front of UPSTREAM; prints its address.
start_proxy() {
    local port_file
    port_file=$(mktemp -u "$work/proxy-port.XXXXXX")
    "$faultproxy" --upstream "$1" --rate "$2" --seed "$3" --stall 1 --log "$work/faults.log" \
        --port-file "$port_file" >/dev/null 2>>"$work/proxy.err" &
    proxies+=($!)
    for _ in $(seq 100); do
        [[ -s $port_file ]] && break
        sleep 0.05
    done
    echo "127.0.0.1:$(cat "$port_file")"
}

# The image: busybox and three layers of random bytes, in the store and in the source registry.
make_busybox_base e2e/busybox:1
mkdir ctx
for name in a b c; do head -c 400000 /dev/urandom >"ctx/$name"; done
printf 'FROM e2e/busybox:1\nCOPY a /a\nCOPY b /b\nCOPY c /c\n' >ctx/Dockerfile
"$HOIST" -q build -t e2e/faulty:1 ctx >/dev/null
want=$("$HOIST" inspect local:e2e/faulty:1 | jq -r .Digest)
"$HOIST" -q "${creds[@]}" push e2e/faulty:1 "$source_registry/e2e/src:1" >/dev/null

# check_remote REGISTRY REPO: the image at REGISTRY/REPO:1, read directly (no proxy) into a
# fresh store, has the source's digest; nothing at all is fine too when `$2` may be missing.
check_remote() {
    local store=$work/check-$RANDOM status=0
    HOIST_ROOT=$store "$HOIST" -q "${creds[@]}" pull "$1/$2:1" >/dev/null 2>"$work/check.err" || status=$?
    if ((status != 0)); then
        grep -q 'MANIFEST_UNKNOWN\|manifest unknown\|404' "$work/check.err" && [[ $3 == may-be-missing ]] &&
            return 0
        fail "$what: the destination's $2:1 cannot be pulled: $(cat "$work/check.err")"
    fi
    expect_eq "$(HOIST_ROOT=$store "$HOIST" inspect "local:$1/$2:1" | jq -r .Digest)" "$want" "$what: digest of $2:1"
    HOIST_ROOT=$store "$HOIST" fsck >/dev/null || fail "$what: fsck of the store it was pulled into"
    rm -rf "$store"
}

declare -A completed failed
for rate in "${rates[@]}"; do
    for ((seed = 1; seed <= seeds; seed++)); do
        proxy=$(start_proxy "$source_registry" "$rate" "$seed")
        proxy2=$(start_proxy "$destination_registry" "$rate" "$((seed + 1000))")
        tag=r${rate/./}-s$seed
        for op in push pull copy sync; do
            what="$op at rate $rate, seed $seed"
            export HOIST_ROOT=$work/store
            case $op in
            push) command=("$HOIST" -q "${creds[@]}" push e2e/faulty:1 "$proxy2/e2e/push-$tag:1") ;;
            pull)
                export HOIST_ROOT=$work/pull-$tag
                command=("$HOIST" -q "${creds[@]}" pull "$proxy/e2e/src:1")
                ;;
            copy) command=("$HOIST" -q "${creds[@]}" copy "docker://$proxy/e2e/src:1" "docker://$proxy2/e2e/copy-$tag:1") ;;
            sync)
                jq -n --arg from "$proxy/e2e/src" --arg to "$proxy2" --arg prefix "sync-$tag" \
                    '{destination: {registry: $to, prefix: $prefix}, repositories: [{source: $from, tags: ["1"]}]}' \
                    >sync.json
                command=("$HOIST" -q "${creds[@]}" sync --config sync.json)
                ;;
            esac
            status=0
            timeout 150 "${command[@]}" >out 2>err || status=$?
            ((status != 124)) || fail "$what: still running after 150 s"
            if grep -qE 'AddressSanitizer|runtime error|Segmentation|terminate called' err; then
                fail "$what: $(cat err)"
            fi
            if ((status == 0)); then
                completed[$rate]=$((${completed[$rate]:-0} + 1))
            else
                failed[$rate]=$((${failed[$rate]:-0} + 1))
                [[ $(tail -n 1 err) == "hoist: "* ]] || fail "$what: exit $status without a clear message: $(cat err)"
                echo "  $what: $(tail -n 1 err)" >&2
            fi
            may=$([[ $status == 0 ]] || echo may-be-missing)
            case $op in
            push) check_remote "$destination_registry" "e2e/push-$tag" "$may" ;;
            pull)
                "$HOIST" fsck >/dev/null || fail "$what: fsck of the store pulled into"
                if ((status == 0)); then
                    expect_eq "$("$HOIST" inspect "local:$proxy/e2e/src:1" | jq -r .Digest)" "$want" "$what: digest"
                fi
                ;;
            copy) check_remote "$destination_registry" "e2e/copy-$tag" "$may" ;;
            sync) check_remote "$destination_registry" "sync-$tag/e2e/src" "$may" ;;
            esac
        done
        stop_proxies
        proxies=()
    done
done
faults=$(jq -r 'select(.fault != null) | .fault' "$work/faults.log" | wc -l)
requests=$(wc -l <"$work/faults.log")
((faults > 0)) || fail "no fault was injected in $requests requests"
for rate in "${rates[@]}"; do
    echo "rate $rate: $((seeds * 4)) runs, ${completed[$rate]:-0} completed with the right digest," \
        "${failed[$rate]:-0} failed with a clear error"
done
echo "$requests requests through the proxies, $faults faults injected"
