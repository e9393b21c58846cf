# A real distribution base, opt-in (HOIST_TEST_NETWORK=1: it downloads packages): a Debian 12
# root filesystem made by `debootstrap --variant=minbase` is imported by a user with a
# subordinate id range (hoist-sub), who then builds `RUN apt-get update && apt-get install -y
# jq` on it, rootless (apt drops to _apt, which needs the range), and runs jq in the image.
# debootstrap uses the machine's Debian mirror (HOIST_TEST_DEBIAN_MIRROR to override); the
# rootfs tar is kept in ${XDG_CACHE_HOME:-~/.cache}/hoist/ between runs (about 35 s to make).
source "$(dirname "$0")/lib/common.bash"
[[ ${HOIST_TEST_NETWORK:-} == 1 ]] || { echo "skip: set HOIST_TEST_NETWORK=1 to run (downloads Debian packages)"; exit 77; }
[[ $(id -u) == 0 ]] || { echo "skip: needs root (debootstrap, and to switch to hoist-sub)"; exit 77; }
if ! command -v debootstrap >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q debootstrap >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; } || fail "installing debootstrap"
fi
# The machine's own Debian mirror (the bookworm stanza of apt's deb822 sources, else a
# one-line "deb URL bookworm ..." entry), unless HOIST_TEST_DEBIAN_MIRROR names one.
machine_mirror() {
    local uri
    uri=$(awk -v RS= '/(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ {
        if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null) || true
    [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null) || true
    echo "${uri:-http://deb.debian.org/debian}"
}
mirror=${HOIST_TEST_DEBIAN_MIRROR:-$(machine_mirror)}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/hoist
rootfs_tar=$cache/debootstrap-bookworm-minbase.tar
if [[ ! -f $rootfs_tar ]]; then
    mkdir -p "$cache"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
    tar -C "$work/rootfs" -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$work/rootfs"
fi

id hoist-sub >/dev/null 2>&1 || useradd -m hoist-sub
grep -q '^hoist-sub:' /etc/subuid || fail "hoist-sub has no range in /etc/subuid"
mkdir -p "$work/user/ctx"
cp "$rootfs_tar" "$work/user/rootfs.tar"
printf 'FROM debian-minbase:12\nRUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n' \
    >"$work/user/ctx/Dockerfile"
chown -R hoist-sub: "$work/user"
as_user() {
    setpriv --reuid=hoist-sub --regid=hoist-sub --init-groups env HOME=/home/hoist-sub HOIST_ROOT="$work/user/store" "$@"
}

as_user "$HOIST" -q import "$work/user/rootfs.tar" debian-minbase:12 >/dev/null
as_user "$HOIST" --progress plain build -t jq:1 "$work/user/ctx" >"$work/build.log" 2>&1 ||
    { tail -n 30 "$work/build.log" >&2; fail "the apt-get build failed"; }
grep -q 'Setting up jq' "$work/build.log" || fail "apt-get's output is not in the progress"
[[ $(as_user "$HOIST" run --rm jq:1 jq --version) == jq-1.6* ]] || fail "jq --version in the image"
expect_eq "$(as_user "$HOIST" run --rm jq:1 sh -c 'echo "{\"a\":[1,2]}" | jq -c .a')" "[1,2]" "jq in the image"
# _apt, the user apt drops to, owns its partial downloads directory in the layer.
expect_eq "$(as_user "$HOIST" run --rm jq:1 stat -c %U /var/cache/apt/archives/partial)" "_apt" "owner of apt's partial directory"
