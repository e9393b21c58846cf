# COPY-only Dockerfiles built by hoist with --source-date-epoch N and by `buildah bud --timestamp
# N` unpack (umoci, as root) to the same file trees: paths, types, modes, owners, sizes, mtimes,
# link targets and contents. Cases: a directory tree with modes, a symlink, an executable and a
# name with a space; --chown with the parents it creates; several COPYs into one directory,
# WORKDIR and a relative destination; .dockerignore with an exception; ADD of a local tar;
# --chmod into an existing directory. (Where --chmod creates parents, hoist gives them the mode
# as BuildKit does since tonistiigi/fsutil#228 (moby/buildkit#4945, moby/moby#49851) and buildah
# 1.28 gives them 0755: that case is left out.)
source "$(dirname "$0")/lib/common.bash"
[[ $(id -u) == 0 ]] || { echo "skip: buildah's vfs storage and umoci's owners want root"; exit 77; }
command -v buildah >/dev/null || { echo "SKIP: buildah is not installed (tools/setup installs it)" >&2; exit 77; }

epoch=1600000000
buildah_flags=(--root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver vfs)
cleanup_buildah() { buildah "${buildah_flags[@]}" rmi --all --force >/dev/null 2>&1 || true; }
eval "previous_trap=($(trap -p EXIT))"
trap "cleanup_buildah; ${previous_trap[2]:-}" EXIT

# The context: files newer than the epoch, so both tools must clamp or set their times.
mkdir -p ctx/dir/sub ctx/conf ctx/ignored
echo hello >ctx/dir/a.txt
chmod 0640 ctx/dir/a.txt
printf '#!/bin/sh\necho hi\n' >ctx/dir/run.sh
chmod 0755 ctx/dir/run.sh
echo spaced >"ctx/dir/sub/with space.txt"
ln -s a.txt ctx/dir/link
echo one >ctx/conf/one.conf
echo two >ctx/conf/two.conf
echo secret >ctx/ignored/secret.txt
echo kept >ctx/ignored/keep.txt
printf 'ignored\n!ignored/keep.txt\n*.swp\n' >ctx/.dockerignore
echo swap >ctx/dir/x.swp
mkdir -p tarred/pkg/bin
echo tool >tarred/pkg/bin/tool
chmod 0750 tarred/pkg/bin/tool
tar -C tarred -cf ctx/pkg.tar pkg

# Each case: the Dockerfile's lines after FROM scratch.
cases=(
    'COPY dir/ /app/'
    'COPY --chown=1000:1000 dir/a.txt /x/y/z/
COPY --chown=1000:1000 dir/sub /owned/'
    'COPY dir/a.txt /app/
COPY dir/run.sh /app/
COPY conf/*.conf /app/conf/
WORKDIR /w
COPY dir/sub sub2
COPY conf/one.conf .'
    'COPY . /ctx/'
    'ADD pkg.tar /opt/'
    'COPY dir/ /app/
COPY --chmod=0600 conf/one.conf /app/'
)

# tree DIR: one line per entry of an unpacked rootfs, with a content hash for files.
tree() {
    (cd "$1/rootfs" && find . -mindepth 1 -printf '%P %y %m %U:%G %s %T@ %l\n' | sort |
        while read -r line; do
            path=${line%% [dlfpcbs] *}
            if [[ -f $path && ! -L $path ]]; then
                echo "$line $(sha256sum <"$path" | cut -c1-16)"
            else
                echo "$line"
            fi
        done)
}

n=0
for body in "${cases[@]}"; do
    n=$((n + 1))
    printf 'FROM scratch\n%s\n' "$body" >ctx/Dockerfile
    "$HOIST" -q build --source-date-epoch "$epoch" -t "e2e/ts:$n" ctx >/dev/null || fail "case $n: hoist build"
    "$HOIST" -q copy "local:e2e/ts:$n" "oci:$work/hoist-layout:$n" >/dev/null
    buildah "${buildah_flags[@]}" bud --isolation chroot --timestamp "$epoch" -q -t "localhost/ts:$n" \
        -f ctx/Dockerfile ctx >/dev/null 2>buildah.err || { cat buildah.err >&2; fail "case $n: buildah bud"; }
    buildah "${buildah_flags[@]}" push -q "localhost/ts:$n" "oci:$work/buildah-layout:$n" >/dev/null 2>buildah.err ||
        { cat buildah.err >&2; fail "case $n: buildah push"; }
    umoci unpack --image "hoist-layout:$n" "hoist-$n" >/dev/null
    umoci unpack --image "buildah-layout:$n" "buildah-$n" >/dev/null
    tree "hoist-$n" >"hoist-$n.tree"
    tree "buildah-$n" >"buildah-$n.tree"
    [[ -s hoist-$n.tree ]] || fail "case $n: hoist's image is empty"
    if ! diff -u "buildah-$n.tree" "hoist-$n.tree" >"case-$n.diff"; then
        fail "case $n (${body//$'\n'/; }): the trees differ (- buildah, + hoist):
$(cat "case-$n.diff")"
    fi
done
grep -q '^ctx/ignored/keep.txt ' hoist-4.tree || fail "case 4: the .dockerignore exception is missing"
grep -q '^ctx/ignored/secret.txt ' hoist-4.tree && fail "case 4: an ignored file was copied"
grep -q "^opt/pkg/bin/tool f 750 " hoist-5.tree || fail "case 5: the tar was not extracted with its modes"
echo "${#cases[@]} COPY-only Dockerfiles: the same trees from hoist and buildah $(buildah --version | cut -d' ' -f3)"
