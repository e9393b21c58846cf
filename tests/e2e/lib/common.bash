# Sourced by every end-to-end script: strict mode, a scratch directory with its own store, and
# small assertion helpers. $HOIST is the binary under test (CTest sets it).
set -euo pipefail

: "${HOIST:?set HOIST to the hoist binary}"
lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hoist-e2e.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
export HOIST_ROOT=$work/store
cd "$work"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

expect_eq() {  # expect_eq ACTUAL EXPECTED WHAT
    [[ $1 == "$2" ]] || fail "$3: got '$1', want '$2'"
}

# expect_error STATUS MESSAGE COMMAND...: the command exits with STATUS and prints exactly
# MESSAGE on stderr.
expect_error() {
    local want_status=$1 want_message=$2 status=0
    shift 2
    "$@" >"$work/stdout" 2>"$work/stderr" || status=$?
    expect_eq "$status" "$want_status" "exit status of $*"
    expect_eq "$(cat "$work/stderr")" "$want_message" "stderr of $*"
}

# The sha256 of every blob under a layout's blobs/ matches its file name.
expect_blobs_intact() {
    local blob
    for blob in "$1"/blobs/sha256/*; do
        [[ -e $blob ]] || continue
        expect_eq "$(sha256sum "$blob" | cut -d' ' -f1)" "$(basename "$blob")" "content of $blob"
    done
}

# make_umoci_image DIR TAG: a small image made by umoci (busybox and a file), the way peers make
# them: init, new, unpack, change the rootfs, repack, set the config.
make_umoci_image() {
    local dir=$1 tag=$2 bundle
    bundle=$(mktemp -d "$work/bundle.XXXXXX")
    rmdir "$bundle"
    [[ -d $dir ]] || umoci init --layout "$dir"
    umoci new --image "$dir:$tag"
    umoci unpack --rootless --image "$dir:$tag" "$bundle" >/dev/null
    mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/etc"
    cp /bin/busybox "$bundle/rootfs/bin/busybox"
    ln -s busybox "$bundle/rootfs/bin/sh"
    echo "made by umoci for $tag" >"$bundle/rootfs/etc/motd"
    umoci repack --image "$dir:$tag" "$bundle" >/dev/null
    umoci config --image "$dir:$tag" --config.env "GREETING=hello" --config.cmd /bin/sh \
        --config.label "org.example.tag=$tag" >/dev/null
    rm -rf "$bundle"
}

# The digest a layout's index.json gives TAG.
layout_digest() {
    jq -r --arg tag "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' \
        "$1/index.json"
}
