# Sourced by run_testdata_{root,subuid,nosubuid}.sh after common.bash and build.bash: builds every
# case under testdata/run/ with hoist running as `$run_mode` and checks it.
#
# Modes: root (hoist as root: namespaces without a user namespace), subuid (as the user
# hoist-sub, made with `useradd -m` if missing, so that it has a subordinate range: a user
# namespace with ids 0-65535), nosubuid (as uid 65534, which has none: a user namespace with
# one id).
#
# A case is a directory as under testdata/build/ (Dockerfile and context, expected-tree.txt,
# expected-config.json, optional args, setup.sh, build.sh), plus, optionally: `run-check`, a
# script run in the built image with `hoist run IMAGE /bin/sh -c SCRIPT`, whose output must be
# `run-expected`; `expect-nosubuid`, text the build's stderr must contain in the nosubuid mode,
# where the build must fail (a case that needs ids other than 0 at run time). The image is
# copied out by the user hoist ran as, unpacked with `umoci unpack --rootless` and compared with
# expected-tree.txt, its config with expected-config.json. HOIST_RUN_CASES=NAME,... runs a subset;
# HOIST_RUN_BUILD_FLAGS (shell words, e.g. "--snapshotter copy" or "--isolation chroot") are given
# to every build, as "${build_flags[@]}" to a case's build.sh.
testdata=${HOIST_SOURCE_DIR:-$lib_dir/../../..}/testdata/run
read -ra build_flags <<<"${HOIST_RUN_BUILD_FLAGS:-}"
case_files=(expected-tree.txt expected-config.json args setup.sh build.sh run-check run-expected expect-nosubuid)

[[ $(id -u) == 0 ]] || { echo "skip: the run modes need root to switch users"; exit 77; }

case $run_mode in
    root) as_user=(env) ;;
    subuid)
        if ! id hoist-sub >/dev/null 2>&1; then
            useradd -m hoist-sub
        fi
        grep -q '^hoist-sub:' /etc/subuid || fail "hoist-sub has no range in /etc/subuid"
        as_user=(setpriv --reuid=hoist-sub --regid=hoist-sub --init-groups env HOME=/home/hoist-sub)
        ;;
    nosubuid)
        ! grep -q -E '^(nobody|65534):' /etc/subuid || fail "nobody has a range in /etc/subuid"
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups env "HOME=$work/home")
        ;;
    *) fail "unknown run_mode $run_mode" ;;
esac
mkdir -p "$work/home"

# The base image is made by root and handed to the mode's user through an OCI layout.
make_busybox_base e2e/busybox:1
"$HOIST" copy -q local:e2e/busybox:1 "oci:$work/base:busybox" >/dev/null
export HOIST_ROOT=$work/store-$run_mode

# as_mode COMMAND...: runs a command as the mode's user, with this store.
as_mode() {
    "${as_user[@]}" HOIST_ROOT="$HOIST_ROOT" "$@"
}
case $run_mode in
    subuid) owner=hoist-sub ;;
    nosubuid) owner=65534 ;;
    *) owner=root ;;
esac
chown -R "$owner" "$work/home"
mkdir -p "$HOIST_ROOT" "$work/cases" && chown "$owner" "$HOIST_ROOT" "$work/cases"
as_mode "$HOIST" copy -q "oci:$work/base:busybox" local:e2e/busybox:1 >/dev/null

# run_case NAME: builds and checks one case; returns non-zero on any mismatch, saying why.
run_case() {
    local name=$1 source=$testdata/$1 image=e2e/run-$1:latest case_dir=$work/cases/$1 args=()
    mkdir -p "$case_dir"
    cp -a "$source/." "$case_dir/"
    for file in "${case_files[@]}"; do
        rm -f "$case_dir/$file"
    done
    chmod -R u=rwX,go=rX "$case_dir"
    [[ -f $source/args ]] && eval "args=($(<"$source/args"))"
    (
        cd "$case_dir" || exit
        if [[ -f $source/setup.sh ]]; then
            source "$source/setup.sh" || exit
        fi
        chown -R "$owner" "$case_dir" "$work/cases"
        if [[ -f $source/build.sh ]]; then
            source "$source/build.sh" || exit
        else
            as_mode "$HOIST" --progress plain build -t "$image" "${build_flags[@]}" "${args[@]}" . || exit
        fi
    ) >"$work/$name.build.log" 2>&1
    local built=$?
    if [[ $run_mode == nosubuid && -f $source/expect-nosubuid ]]; then
        if ((built == 0)); then
            echo "$name: the build succeeded without a subordinate range; it should have failed" >&2
            return 1
        fi
        if ! grep -qF "$(<"$source/expect-nosubuid")" "$work/$name.build.log"; then
            echo "$name: the build failed without '$(<"$source/expect-nosubuid")':" >&2
            sed 's/^/    /' "$work/$name.build.log" >&2
            return 1
        fi
        return 0
    fi
    if ((built != 0)); then
        echo "$name: the build failed:" >&2
        sed 's/^/    /' "$work/$name.build.log" >&2
        return 1
    fi

    local status=0 dir
    dir=$(mktemp -d "$work/tree.XXXXXX")
    chown "$owner" "$dir"
    as_mode "$HOIST" copy -q "local:$image" "oci:$dir/layout:x" >/dev/null || { echo "$name: copy out failed" >&2; return 1; }
    umoci unpack --rootless --image "$dir/layout:x" "$dir/bundle" >/dev/null
    python3 "$lib_dir/tree.py" "$dir/bundle/rootfs" --rootless --skip bin/busybox >"$work/$name.tree"
    rm -rf "$dir"
    same_file "$name" "file tree" "$source/expected-tree.txt" "$work/$name.tree" || status=1
    as_mode "$HOIST" inspect --config "local:$image" | config_projection >"$work/$name.config"
    jq -S . "$source/expected-config.json" >"$work/$name.expected-config"
    same_file "$name" config "$work/$name.expected-config" "$work/$name.config" || status=1
    if [[ -f $source/run-check ]]; then
        local output
        [[ -f $source/run-expected ]] || { echo "$name: run-check without run-expected" >&2; return 1; }
        output=$(as_mode "$HOIST" run --rm "$image" /bin/sh -c "$(<"$source/run-check")" 2>&1) || true
        if [[ $output != "$(<"$source/run-expected")" ]]; then
            echo "$name: hoist run of run-check printed:" >&2
            sed 's/^/    /' <<<"$output" >&2
            echo "  expected:" >&2
            sed 's/^/    /' "$source/run-expected" >&2
            status=1
        fi
    fi
    return "$status"
}

run_all_cases "$testdata" "${HOIST_RUN_CASES:-}" 15 "$run_mode${HOIST_RUN_BUILD_FLAGS:+ $HOIST_RUN_BUILD_FLAGS}"
