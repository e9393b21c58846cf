# The two snapshotters and the two isolations give the same image: RUN steps that add, change,
# chmod, hardlink, delete base files and replace a directory build to the same file tree with
# the overlay snapshotter, the copy snapshotter (a whole-tree metadata diff) and
# --isolation chroot; and the overlay's RUN layer holds only what changed.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
[[ $(id -u) == 0 ]] || { echo "skip: needs root for --isolation chroot"; exit 77; }

make_busybox_base e2e/busybox:1
mkdir ctx
cat >ctx/Dockerfile <<'DOCKERFILE'
FROM e2e/busybox:1
RUN mkdir -p /opt/app/sub && echo one >/opt/app/one && echo two >/opt/app/sub/two && ln /opt/app/one /opt/app/one-link
RUN rm /etc/group && chmod 0700 /home/app && echo more >>/home/app/.profile && rm -rf /opt/app/sub && echo file >/opt/app/sub
RUN rm -rf /opt/app && mkdir /opt/app && echo fresh >/opt/app/fresh && mkfifo /opt/fifo && chmod 4755 /opt/app/fresh
DOCKERFILE

trees=()
for flags in "--snapshotter overlay" "--snapshotter copy" "--isolation chroot"; do
    name=e2e/snap:${flags//[^a-z]/}
    # shellcheck disable=SC2086
    "$HOIST" -q build -t "$name" $flags ctx >/dev/null || fail "build with $flags"
    image_tree "$name" >"tree.${#trees[@]}"
    trees+=("$flags")
done
diff -u tree.0 tree.1 || fail "the copy snapshotter's tree differs from overlay's"
diff -u tree.0 tree.2 || fail "--isolation chroot's tree differs"
grep -q '^opt/app/fresh 0o100000 0o4755 0:0 ' tree.0 || fail "no setuid /opt/app/fresh in: $(cat tree.0)"
grep -q '^opt/fifo 0o10000 ' tree.0 || fail "no fifo /opt/fifo in: $(cat tree.0)"
if grep -q '^etc/group' tree.0; then fail "/etc/group was deleted but is in the image"; fi
if grep -q 'opt/app/one' tree.0; then fail "/opt/app was replaced but its old files are in the image"; fi

# The last RUN's layer: /opt/app opaque (recreated), its file, the fifo; nothing of /dev,
# /proc, /sys or /etc/hosts (mount points), nothing else.
"$HOIST" copy -q local:e2e/snap:snapshotteroverlay oci:layout:x >/dev/null
layer=$(jq -r '.layers[-1].digest' "layout/blobs/sha256/$(jq -r '.manifests[0].digest' layout/index.json | cut -d: -f2)" | cut -d: -f2)
expect_eq "$(tar -tzf "layout/blobs/sha256/$layer" | sort | tr '\n' ' ')" \
    "opt/ opt/app/ opt/app/.wh..wh..opq opt/app/fresh opt/fifo " "the last RUN's layer"

# In a store that did not build it, the image's layers are unpacked from their blobs: the
# whiteouts and the opaque directory hide what lower layers have, under overlayfs and the copy.
"$HOIST" -q copy local:e2e/snap:snapshotteroverlay oci:layout:x >/dev/null
export HOIST_ROOT=$work/store-2
"$HOIST" -q copy oci:layout:x local:e2e/snap:pulled >/dev/null
for snapshotter in overlay copy; do
    expect_eq "$("$HOIST" run --snapshotter "$snapshotter" e2e/snap:pulled sh -c 'ls /opt/app; ls /etc; cat /home/app/.profile')" \
        $'fresh\nhosts\npasswd\nresolv.conf\nexport PS1="app$ "\nmore' "the pulled image under $snapshotter"
done
