# Sourced by the build end-to-end scripts after common.bash: an offline base image and the tree
# and config of a built image.
#
# make_busybox_base NAME: imports (hoist import) a small root filesystem as NAME: busybox-static
# as /bin/busybox and /bin/sh, /etc/passwd and /etc/group with a user `app` (1001, primary group
# 1002 `app`, also in `staff` 50), /home/app 0750 app:app with a .profile, /root 0700,
# /tmp 1777; Env GREETING=hello (no PATH), Cmd ["/bin/sh"]. Its history is one entry,
# "hoist import busybox-rootfs".
make_busybox_base() {
    local root=$work/busybox-rootfs
    rm -rf "$root"
    mkdir -p "$root"/{bin,etc,home/app,root,tmp}
    cp /bin/busybox "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'app:x:1001:1002:App:/home/app:/bin/sh' \
        'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
    printf '%s\n' 'root:x:0:' 'staff:x:50:app' 'app:x:1002:' 'nogroup:x:65534:' >"$root/etc/group"
    printf 'export PS1="app$ "\n' >"$root/home/app/.profile"
    chmod 0755 "$root"/{bin,etc,home} "$root/bin/busybox"
    chmod 0644 "$root"/etc/{passwd,group} "$root/home/app/.profile"
    chmod 0750 "$root/home/app"
    chmod 0700 "$root/root"
    chmod 1777 "$root/tmp"
    chown -R 1001:1002 "$root/home/app"
    (cd "$work" && "$HOIST" import busybox-rootfs "$1" --env GREETING=hello --cmd '["/bin/sh"]' >/dev/null)
}

# image_tree NAME: the file tree of image NAME of the local store after `hoist copy` to an OCI
# layout and `umoci unpack --rootless`, as tree.py prints it (owners from umoci's xattr), without
# /bin/busybox (its content is this machine's).
image_tree() {
    local dir
    dir=$(mktemp -d "$work/tree.XXXXXX")
    "$HOIST" copy -q "local:$1" "oci:$dir/layout:x" >/dev/null
    umoci unpack --rootless --image "$dir/layout:x" "$dir/bundle" >/dev/null
    python3 "$lib_dir/tree.py" "$dir/bundle/rootfs" --rootless --skip bin/busybox
    rm -rf "$dir"
}

# config_projection: the fields of an image config (on stdin) that the build tests compare:
# config fields Docker's instructions set (nulls left out), author, the layer count and every
# history entry's created_by and empty_layer.
config_projection() {
    jq -S '{
        config: (.config // {} | {Env, Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts,
                 Volumes, StopSignal, Healthcheck, Shell, OnBuild} | with_entries(select(.value != null))),
        author,
        layers: (.rootfs.diff_ids | length),
        history: [.history[]? | {created_by, empty_layer: (.empty_layer // false)}]
    } | with_entries(select(.value != null))'
}

# same_file NAME WHAT EXPECTED ACTUAL: true when the two files are equal; else shows the
# difference as "NAME: WHAT differs (--- expected, +++ built):" and the diff.
same_file() {
    local diff
    diff=$(diff -u "$3" "$4") && return 0
    echo "$1: $2 differs (--- expected, +++ built):" >&2
    sed 's/^/    /' <<<"$diff" >&2
    return 1
}

# run_all_cases DIR SUBSET MINIMUM [LABEL]: the caller's run_case NAME for every case under DIR
# (or the comma-separated names in SUBSET), "ok[ (LABEL)]: NAME" for each that passes; fails
# naming those that did not, or when DIR holds fewer than MINIMUM cases.
run_all_cases() {
    local dir=$1 subset=$2 minimum=$3 label=${4:-} cases=() failed=() name
    for name in "$dir"/*/; do
        cases+=("$(basename "$name")")
    done
    if [[ -n $subset ]]; then
        IFS=, read -ra cases <<<"$subset"
    fi
    ((${#cases[@]} >= minimum)) || [[ -n $subset ]] || fail "only ${#cases[@]} cases under $dir"
    for name in "${cases[@]}"; do
        if run_case "$name"; then
            echo "ok${label:+ ($label)}: $name"
        else
            failed+=("$name")
        fi
    done
    ((${#failed[@]} == 0)) || fail "${label:+$label: }${#failed[@]} of ${#cases[@]} cases: ${failed[*]}"
}
