# Sourced by end-to-end scripts after registry.bash: tools/fake-ecr, stopped when the script exits.
#
# start_fake_ecr REGISTRY_DIR [OPTION...]: starts fake-ecr in $work/fake-ecr (-2, ... for more)
# handing out the basic-auth password of the registry in REGISTRY_DIR (started with --user AWS),
# with a fresh AWS key pair and session token, and the options of tools/fake-ecr (--account,
# --region, --registry-front, ...). Sets FAKE_ECR_URL (http://127.0.0.1:PORT),
# FAKE_ECR_LOG, and the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN it accepts
# (exported, for hoist).

fake_ecr_tool=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/tools/fake-ecr
fake_ecr_pids=()

stop_fake_ecrs() {
    local pid
    for pid in "${fake_ecr_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

eval "fake_ecr_previous_trap=($(trap -p EXIT))"
# shellcheck disable=SC2064 # the previous trap's text is taken now, on purpose
trap "stop_fake_ecrs; ${fake_ecr_previous_trap[2]:-}" EXIT
unset fake_ecr_previous_trap

start_fake_ecr() {
    local registry=$1 dir=$work/fake-ecr n=2 i
    shift
    while [[ -e $dir ]]; do
        dir=$work/fake-ecr-$((n++))
    done
    mkdir -p "$dir"
    AWS_ACCESS_KEY_ID=AKIDHOISTTEST$RANDOM
    AWS_SECRET_ACCESS_KEY=secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    AWS_SESSION_TOKEN=session-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    (umask 077 && printf '%s\n' "$AWS_SECRET_ACCESS_KEY" >"$dir/secret" &&
        printf '%s\n' "$AWS_SESSION_TOKEN" >"$dir/session-token")
    python3 "$fake_ecr_tool" --dir "$dir" --access-key-id "$AWS_ACCESS_KEY_ID" --secret-file "$dir/secret" \
        --session-token-file "$dir/session-token" --registry-password-file "$registry/password" "$@" \
        </dev/null >"$dir/fake-ecr.err" 2>&1 &
    fake_ecr_pids+=($!)
    for ((i = 0; i < 200; i++)); do
        [[ -s $dir/fake-ecr.port ]] && break
        sleep 0.05
    done
    [[ -s $dir/fake-ecr.port ]] || fail "fake-ecr did not start: $(cat "$dir/fake-ecr.err")"
    FAKE_ECR_URL=http://127.0.0.1:$(cat "$dir/fake-ecr.port")
    FAKE_ECR_LOG=$dir/fake-ecr.log
    touch "$FAKE_ECR_LOG"
}
