# hoist import writes layers that unpack to the same tree with umoci and with hoist's own
# applier; the same input gives byte-identical layers for any thread count; layers written by
# umoci are applied by hoist to the same tree umoci makes.
source "$(dirname "$0")/lib/common.bash"
tree() { python3 "$lib_dir/tree.py" "$@"; }
export SOURCE_DATE_EPOCH=1700000000

# A root filesystem with what layers must carry: busybox, setuid, sticky, owners, symlinks,
# hardlinks, a fifo, empty files and directories, xattrs.
mkdir -p rootfs/bin rootfs/etc rootfs/tmp rootfs/home/app rootfs/var/empty rootfs/dev
cp /bin/busybox rootfs/bin/busybox
ln -s busybox rootfs/bin/sh
ln rootfs/bin/busybox rootfs/bin/busybox-hardlink
chmod 4755 rootfs/bin/busybox
chmod 1777 rootfs/tmp
echo "root:x:0:0:root:/root:/bin/sh" >rootfs/etc/passwd
head -c 3000000 /dev/urandom >rootfs/home/app/data
touch rootfs/etc/empty
chown -R 1000:1000 rootfs/home/app
mkfifo rootfs/dev/fifo
chmod 0600 rootfs/dev/fifo
python3 -c 'import os; os.setxattr("rootfs/etc/passwd", "user.origin", b"hoist-test")'

# Byte-identical layers for 1, 2 and 8 threads and on a second run, gzip and zstd.
for compression in gzip zstd; do
    digests=()
    for jobs in 1 2 8 2; do
        "$HOIST" import rootfs "base-$compression:$jobs" --compression "$compression" --jobs "$jobs" >/dev/null
        digests+=("$("$HOIST" inspect local:base-$compression:$jobs | jq -r '.Layers[0]')")
    done
    for digest in "${digests[@]}"; do
        expect_eq "$digest" "${digests[0]}" "$compression layer digest across thread counts"
    done
done
"$HOIST" import rootfs base:1 --env GREETING=hello --cmd '["/bin/sh"]' --workdir /home/app >/dev/null
expect_eq "$("$HOIST" inspect --config local:base:1 | jq -c '.config | [.Env, .Cmd, .WorkingDir]')" \
    '[["GREETING=hello"],["/bin/sh"],"/home/app"]' "config of the imported image"
expect_eq "$("$HOIST" inspect local:base:1 | jq -r .Created)" "2023-11-14T22:13:20Z" "created from SOURCE_DATE_EPOCH"

want=$(tree rootfs)
"$HOIST" copy local:base:1 oci:layout:1 >/dev/null
umoci unpack --image layout:1 umoci-root >/dev/null
expect_eq "$(tree umoci-root/rootfs)" "$want" "tree unpacked by umoci"
umoci unpack --rootless --image layout:1 umoci-rootless >/dev/null
expect_eq "$(tree umoci-rootless/rootfs --no-owners)" "$(tree rootfs --no-owners)" "tree unpacked by umoci --rootless"
"$HOIST" debug unpack local:base:1 hoist-root
expect_eq "$(tree hoist-root)" "$want" "tree unpacked by hoist"

# Layers written by umoci (and so by Go's tar and gzip) are applied by hoist as umoci applies them.
make_umoci_image src v1
"$HOIST" copy oci:src:v1 local:umoci-made:1 >/dev/null
umoci unpack --image src:v1 from-umoci >/dev/null
"$HOIST" debug unpack local:umoci-made:1 from-hoist
expect_eq "$(tree from-hoist)" "$(tree from-umoci/rootfs)" "umoci's layers applied by hoist"

# A root filesystem tar (here compressed) imports to the same tree.
tar -C rootfs --xattrs -czf rootfs.tar.gz .
"$HOIST" import rootfs.tar.gz from-tar:1 >/dev/null
"$HOIST" debug unpack local:from-tar:1 from-tar
expect_eq "$(tree from-tar)" "$want" "tree of an image imported from a tar"

# Layers that skopeo recompressed (Go's zstd) are applied by hoist to the same tree.
skopeo copy -q --dest-compress --dest-compress-format zstd oci:src:v1 oci:zstd-src:v1
expect_eq "$(skopeo inspect --raw oci:zstd-src:v1 | jq -r '.layers[0].mediaType')" \
    "application/vnd.oci.image.layer.v1.tar+zstd" "skopeo's layer media type"
"$HOIST" debug unpack oci:zstd-src:v1 from-skopeo
expect_eq "$(tree from-skopeo)" "$(tree from-umoci/rootfs)" "skopeo's zstd layers applied by hoist"
