# hoist build fails with one line naming what failed and where: a malformed Dockerfile at its
# file:line:col, a missing COPY source with Docker's words, a RUN whose shell is missing at its
# line, an unknown --target; exit status 1, and no image left under the name.
source "$(dirname "$0")/lib/common.bash"
export NO_COLOR=1

mkdir ctx
echo hello >ctx/hello.txt

# build_fails WANT_STATUS DOCKERFILE_TEXT [FLAGS...]: builds ctx with that Dockerfile; the
# exit status is WANT_STATUS; sets `message` to stderr.
build_fails() {
    local want=$1 status=0
    printf '%s' "$2" >ctx/Dockerfile
    shift 2
    "$HOIST" --progress plain build -t e2e/broken:1 "$@" ctx >stdout 2>stderr || status=$?
    expect_eq "$status" "$want" "exit status of hoist build $* with $(head -c 200 ctx/Dockerfile | tr '\n' ';')"
    message=$(grep '^hoist: ' stderr || true)
    [[ -n $message ]] || fail "no 'hoist: ' error line in: $(cat stderr)"
    if "$HOIST" inspect local:e2e/broken:1 >/dev/null 2>&1; then
        fail "a failed build left an image e2e/broken:1"
    fi
}

# An unknown instruction on line 2, column 1 (BuildKit: "unknown instruction: COPPY (did you
# mean COPY?)", its suggestions upper-cased).
build_fails 1 $'FROM scratch\nCOPPY hello.txt /\n'
expect_eq "$(head -n 1 <<<"$message")" 'hoist: build: Dockerfile:2:1: unknown instruction: COPPY (did you mean COPY?)' \
    "message for an unknown instruction"

# A flag that COPY does not have, on line 3.
build_fails 1 $'FROM scratch\n\nCOPY --chwon=1 hello.txt /\n'
[[ $(head -n 1 <<<"$message") == 'hoist: build: Dockerfile:3:'*': unknown flag: --chwon'* ]] ||
    fail "message for an unknown flag: got '$message'"

# A missing COPY source: Docker's '"/missing.txt": not found', with the instruction's place.
build_fails 1 $'FROM scratch\nCOPY hello.txt /\nCOPY missing.txt /\n'
[[ $message == 'hoist: build: Dockerfile:3:'*'"/missing.txt": not found' ]] ||
    fail "message for a missing COPY source: got '$message'"

# RUN on an image without a shell: the error names its line and the missing shell.
build_fails 1 $'FROM scratch\nCOPY hello.txt /\nRUN echo hi\n'
expect_eq "$(head -n 1 <<<"$message")" 'hoist: build: Dockerfile:3:1: exec /bin/sh: No such file or directory' \
    "message for RUN without a shell"

# An unknown --target (BuildKit: 'target stage "nope" could not be found').
build_fails 1 $'FROM scratch AS one\nCOPY hello.txt /\n' --target nope
expect_eq "$message" 'hoist: build: target stage "nope" could not be found' "message for an unknown --target"

# A --target named with other case still finds the stage (stage names are case-insensitive).
printf 'FROM scratch AS One\nCOPY hello.txt /\n' >ctx/Dockerfile
"$HOIST" -q build -t e2e/ok:1 --target one ctx >/dev/null
