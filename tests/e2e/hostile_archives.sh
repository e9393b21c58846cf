# Archives and layouts that try to escape or lie are refused with a message, and leave the store
# and the filesystem as they were.
source "$(dirname "$0")/lib/common.bash"

# make_tar FILE KIND: a one-entry tar of the given hostile kind, written by Python's tarfile.
make_tar() {
    python3 - "$1" "$2" "$work" <<'PY'
import io, sys, tarfile
path, kind, work = sys.argv[1], sys.argv[2], sys.argv[3]
with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
    def add(name, data=b"x", **fields):
        info = tarfile.TarInfo(name)
        info.size = len(data) if fields.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
        for key, value in fields.items():
            setattr(info, key, value)
        tar.addfile(info, io.BytesIO(data) if info.size else None)
    if kind == "dotdot":
        add("../evil")
    elif kind == "absolute":
        add(work + "/absolute-evil")
    elif kind == "symlink":
        add("blobs", type=tarfile.SYMTYPE, linkname="/etc")
    elif kind == "symlink-up":
        add("d/layer.tar", type=tarfile.SYMTYPE, linkname="../../outside")
    elif kind == "hardlink":
        add("index.json", type=tarfile.LNKTYPE, linkname="../../etc/passwd")
    elif kind == "device":
        add("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    elif kind == "docker-escape":
        add("manifest.json", b'[{"Config":"c.json","RepoTags":["x:1"],"Layers":["../../../etc/passwd"]}]')
        add("c.json", b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:' + b"0" * 64 + b'"]}}')
PY
}

mkdir inner
for kind in dotdot absolute symlink symlink-up hardlink device docker-escape; do
    make_tar "$kind.tar" "$kind"
done
expect_error 1 'hoist: load dotdot.tar: dotdot.tar: entry "../evil" leaves the archive root' \
    "$HOIST" load -i dotdot.tar
expect_error 1 "hoist: load absolute.tar: absolute.tar: entry \"$work/absolute-evil\" has an absolute path" \
    "$HOIST" load -i absolute.tar
expect_error 1 'hoist: load symlink.tar: symlink.tar: entry "blobs" links to "/etc", outside the archive' \
    "$HOIST" load -i symlink.tar
expect_error 1 'hoist: load symlink-up.tar: symlink-up.tar: entry "d/layer.tar" links to "../../outside", outside the archive' \
    "$HOIST" load -i symlink-up.tar
expect_error 1 'hoist: load hardlink.tar: hardlink.tar: entry "index.json" is not a regular file or directory' \
    "$HOIST" load -i hardlink.tar
expect_error 1 'hoist: load device.tar: device.tar: entry "dev" is not a regular file or directory' \
    "$HOIST" load -i device.tar
expect_error 1 'hoist: load docker-escape.tar: docker-archive: manifest.json names "../../../etc/passwd" outside the archive' \
    "$HOIST" load -i docker-escape.tar
expect_error 1 'hoist: copy oci-archive:dotdot.tar local:x: dotdot.tar: entry "../evil" leaves the archive root' \
    "$HOIST" copy oci-archive:dotdot.tar local:x
[[ ! -e $work/../evil && ! -e $work/absolute-evil ]] || fail "a hostile entry was written outside"

# A layout whose layer does not match its digest: nothing of it enters the store.
make_umoci_image src v1
layer=$(skopeo inspect --raw oci:src:v1 | jq -r '.layers[0].digest')
printf 'X' | dd of="src/blobs/sha256/${layer#sha256:}" bs=1 seek=100 conv=notrunc status=none
manifest=$(layout_digest src v1)
status=0
"$HOIST" copy oci:src:v1 local:corrupt:1 2>stderr || status=$?
expect_eq "$status" 1 "exit status of a corrupt copy"
grep -q "^hoist: copy oci:src:v1 local:corrupt:1: manifest $manifest: blob $layer: content has digest sha256:" stderr ||
    fail "unexpected message: $(cat stderr)"
[[ ! -e $HOIST_ROOT/blobs/sha256/${layer#sha256:} ]] || fail "the corrupt layer entered the store"
expect_eq "$(jq '.manifests | length' "$HOIST_ROOT/index.json")" 0 "index entries after a corrupt copy"
expect_blobs_intact "$HOIST_ROOT"
expect_eq "$(ls -A "$HOIST_ROOT" | grep -c tmp || true)" 0 "temporary files left in the store"
