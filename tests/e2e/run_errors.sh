# RUN and hoist run report what went wrong in one line, and pass exit statuses through: a
# failing RUN names its line and exit code as BuildKit does, its output shows in the progress
# with the step's number; an unknown USER, a command not in $PATH and a missing required
# secret are named; `hoist run` exits with the command's status, and 125 when it cannot start.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
export NO_COLOR=1
[[ $(id -u) == 0 ]] || { echo "skip: needs root (the unprivileged modes are in run_testdata_*.sh)"; exit 77; }

make_busybox_base e2e/busybox:1
mkdir ctx

# build_fails DOCKERFILE_TEXT [FLAGS...]: the build exits 1; `message` is its first error line.
build_fails() {
    local status=0
    printf '%s' "$1" >ctx/Dockerfile
    shift
    "$HOIST" --progress plain build -t e2e/broken:1 "$@" ctx >stdout 2>stderr || status=$?
    expect_eq "$status" 1 "exit status of a failing build"
    message=$(grep -m 1 '^hoist: ' stderr || true)
}

build_fails $'FROM e2e/busybox:1\nRUN echo to-the-log && exit 3\n'
expect_eq "$message" 'hoist: build: Dockerfile:2:1: process "/bin/sh -c echo to-the-log && exit 3" did not complete successfully: exit code: 3' \
    "a failing RUN"
grep -q '^#2 [0-9.]* to-the-log$' stderr || fail "the RUN's output is not in the progress: $(cat stderr)"
grep -q 'RUN echo to-the-log' stderr || fail "no source line under the error"

build_fails $'FROM e2e/busybox:1\nUSER nosuchuser\nRUN true\n'
expect_eq "$message" 'hoist: build: Dockerfile:3:1: unable to find user nosuchuser: no matching entries in passwd file' \
    "an unknown USER"

build_fails $'FROM e2e/busybox:1\nRUN ["nosuchcommand", "x"]\n'
expect_eq "$message" 'hoist: build: Dockerfile:2:1: exec: "nosuchcommand": executable file not found in $PATH' \
    "a command not in PATH"

build_fails $'FROM e2e/busybox:1\nRUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n'
expect_eq "$message" 'hoist: build: Dockerfile:2:1: secret token not found: give it with --secret id=token,src=FILE' \
    "a missing required secret"

# hoist run: the command's status, its output on stdout and stderr.
status=0
"$HOIST" run --rm e2e/busybox:1 /bin/sh -c 'echo out; echo err >&2; exit 7' >stdout 2>stderr || status=$?
expect_eq "$status" 7 "hoist run's exit status"
expect_eq "$(cat stdout)" out "hoist run's stdout"
expect_eq "$(cat stderr)" err "hoist run's stderr"
# The image's Env, WORKDIR and USER, and -e/-w/-u over them; flags after IMAGE are the command's.
expect_eq "$("$HOIST" run e2e/busybox:1 /bin/sh -c 'echo $GREETING $(id -u) $PWD')" "hello 0 /" "the image's config"
expect_eq "$("$HOIST" run -e GREETING=hi -u app -w /tmp e2e/busybox:1 /bin/sh -c 'echo $GREETING $(id -u):$(id -g) $PWD $HOME')" \
    "hi 1001:1002 /tmp /home/app" "-e, -u and -w"
expect_eq "$("$HOIST" run e2e/busybox:1 sh -c 'echo "$@"' sh --rm -x)" "--rm -x" "arguments after IMAGE"
# A command that cannot start: 125, and why.
status=0
"$HOIST" run e2e/busybox:1 nosuchcommand >stdout 2>stderr || status=$?
expect_eq "$status" 125 "hoist run of a missing command"
expect_eq "$(cat stderr)" 'hoist: run e2e/busybox:1: exec: "nosuchcommand": executable file not found in $PATH' \
    "hoist run of a missing command"
# Nothing of a run is kept: the image's files are as they were.
"$HOIST" run e2e/busybox:1 /bin/sh -c 'rm /etc/passwd && echo x >/new'
expect_eq "$("$HOIST" run e2e/busybox:1 /bin/sh -c 'ls /new 2>&1; head -n 1 /etc/passwd')" \
    $'ls: /new: No such file or directory\nroot:x:0:0:root:/root:/bin/sh' "a second run sees the image, not the first run's changes"
# --network none: only the loopback interface.
expect_eq "$("$HOIST" run --network none e2e/busybox:1 sh -c 'ls /sys/class/net')" lo "hoist run --network none"
