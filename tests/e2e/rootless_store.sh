# An unprivileged user (uid 65534, no groups) keeps a store in its home directory by default,
# copies, saves, removes and loads images there.
source "$(dirname "$0")/lib/common.bash"

make_umoci_image src v1
chmod -R a+rX src
mkdir home
chown 65534:65534 home
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups env -u HOIST_ROOT HOME="$work/home" XDG_DATA_HOME= "$@"
}

as_nobody "$HOIST" copy oci:src:v1 local:app:1 >/dev/null
store=$work/home/.local/share/hoist
[[ -f $store/index.json ]] || fail "no store at \$HOME/.local/share/hoist"
expect_eq "$(find "$store" ! -user 65534 | wc -l)" "0" "files in the store not owned by uid 65534"
as_nobody "$HOIST" images | grep -Eq '^app +1 ' || fail "images does not list app:1"

as_nobody "$HOIST" save app:1 -o "$work/home/app.tar"
as_nobody "$HOIST" rmi app:1 >/dev/null
expect_eq "$(as_nobody "$HOIST" images -q)" "" "images after rmi"
expect_eq "$(as_nobody "$HOIST" load -i "$work/home/app.tar")" "Loaded image: app:1" "load"
expect_eq "$(skopeo inspect --raw docker-archive:home/app.tar | jq -r .config.digest)" \
    "$(skopeo inspect --raw oci:src:v1 | jq -r .config.digest)" "config digest"

# The store of another user is not writable: a clear error, not a crash.
mkdir locked
expect_error 1 "hoist: images: image store: create directory $work/locked/x/blobs/sha256: Permission denied" \
    as_nobody "$HOIST" --root "$work/locked/x" images

# Unprivileged import and unpack: owners and devices in the layer come from the tar, not from
# privileges; unpacking skips the device node with a warning and keeps everything else.
mkdir -p rootfs/bin rootfs/dev
cp /bin/busybox rootfs/bin/busybox
ln -s busybox rootfs/bin/sh
mknod rootfs/dev/null c 1 3
tar -C rootfs -cf rootfs.tar .
chmod a+r rootfs.tar
as_nobody "$HOIST" import "$work/rootfs.tar" base:1 >/dev/null
status=0
as_nobody "$HOIST" debug unpack local:base:1 "$work/home/unpacked" 2>"$work/home/warnings" || status=$?
expect_eq "$status" 0 "rootless unpack status"
grep -q 'dev/null' "$work/home/warnings" || fail "no warning about the skipped device node: $(cat "$work/home/warnings")"
[[ ! -e $work/home/unpacked/dev/null ]] || fail "a device node was made without privileges"
cmp -s "$work/home/unpacked/bin/busybox" /bin/busybox || fail "busybox differs after a rootless unpack"
expect_eq "$(readlink "$work/home/unpacked/bin/sh")" "busybox" "symlink after a rootless unpack"
expect_eq "$(as_nobody "$HOIST" inspect local:base:1 | jq -r '.LayersData[0].MIMEType')" \
    "application/vnd.oci.image.layer.v1.tar+gzip" "layer type of a rootless import"
