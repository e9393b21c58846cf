# Every case under testdata/build/ builds offline (FROM scratch, an earlier stage, or a base made
# by `hoist import` from busybox-static) to the file tree and config its expected files give:
# the image is copied out with `hoist copy` to an OCI layout, unpacked with `umoci unpack
# --rootless` and printed with tree.py (expected-tree.txt); its config's projection
# (lib/build.bash) is compared with expected-config.json. Every mismatching case is reported by
# name with its differences; the script fails at the end if any did.
#
# A case is a directory: Dockerfile and context; optional `args` (more `hoist build` flags,
# shell words), `setup.sh` (run in the case's copy first: modes, owners, generated files, other
# images), `build.sh` (sourced instead of the plain `hoist build -t "$image" ARGS .`; `$server`,
# when it sets it, replaces @SERVER@ in the expected config). The copy of the case the build
# reads has none of these files nor the expected ones. HOIST_BUILD_CASES=NAME,... runs a subset.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
testdata=${HOIST_SOURCE_DIR:-$lib_dir/../../..}/testdata/build

make_busybox_base e2e/busybox:1

# run_case NAME: builds and checks one case; returns non-zero on any mismatch, saying why.
run_case() {
    local name=$1 source=$testdata/$1 image=e2e/case-$1:latest case_dir=$work/cases/$1 args=() server=""
    mkdir -p "$case_dir"
    cp -a "$source/." "$case_dir/"
    rm -f "$case_dir"/{expected-tree.txt,expected-config.json,args,setup.sh,build.sh}
    # Modes as a checkout may not keep them: files 0644, directories 0755; setup.sh changes them.
    chmod -R u=rwX,go=rX "$case_dir"
    [[ -f $source/args ]] && eval "args=($(<"$source/args"))"
    # errexit does not hold on the left of ||: every step's status is checked by hand.
    (
        cd "$case_dir" || exit
        if [[ -f $source/setup.sh ]]; then
            source "$source/setup.sh" || exit
        fi
        if [[ -f $source/build.sh ]]; then
            source "$source/build.sh" || exit
        else
            "$HOIST" --progress plain build -t "$image" "${args[@]}" . || exit
        fi
        [[ -z $server ]] || echo "$server" >"$work/$name.server"
    ) >"$work/$name.build.log" 2>&1 || {
        echo "$name: the build failed:" >&2
        sed 's/^/    /' "$work/$name.build.log" >&2
        return 1
    }
    [[ -f $work/$name.server ]] && server=$(cat "$work/$name.server")

    local status=0
    image_tree "$image" >"$work/$name.tree" || { echo "$name: no tree" >&2; return 1; }
    same_file "$name" "file tree" "$source/expected-tree.txt" "$work/$name.tree" || status=1
    "$HOIST" inspect --config "local:$image" | config_projection >"$work/$name.config"
    sed "s|@SERVER@|$server|g" "$source/expected-config.json" | jq -S . >"$work/$name.expected-config"
    same_file "$name" config "$work/$name.expected-config" "$work/$name.config" || status=1
    return "$status"
}

run_all_cases "$testdata" "${HOIST_BUILD_CASES:-}" 16
