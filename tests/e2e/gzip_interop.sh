# hoist's gzip, many independent members, reads back to the same bytes with GNU gzip, Python's
# gzip module, zlib (through Python) and libarchive (bsdtar and bsdcat when installed, and the
# library itself through Python's ctypes); the bytes do not depend on --jobs.
source "$(dirname "$0")/lib/common.bash"

# Raw bytes through libarchive's own library, no tar format needed.
libarchive_cat() {
    python3 - "$1" <<'PY'
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library("archive") or "libarchive.so.13")
lib.archive_read_new.restype = ctypes.c_void_p
lib.archive_read_data.restype = ctypes.c_ssize_t
lib.archive_error_string.restype = ctypes.c_char_p
for name in ("archive_read_support_filter_all", "archive_read_support_format_raw",
             "archive_read_support_format_empty", "archive_read_next_header",
             "archive_read_data", "archive_read_free", "archive_read_open_filename", "archive_error_string"):
    getattr(lib, name).argtypes = [ctypes.c_void_p] + {
        "archive_read_next_header": [ctypes.c_void_p],
        "archive_read_data": [ctypes.c_void_p, ctypes.c_size_t],
        "archive_read_open_filename": [ctypes.c_char_p, ctypes.c_size_t],
    }.get(name, [])
a = lib.archive_read_new()
lib.archive_read_support_filter_all(a)
lib.archive_read_support_format_raw(a)
lib.archive_read_support_format_empty(a)  # as bsdcat: an empty stream is no error
entry = ctypes.c_void_p()
if lib.archive_read_open_filename(a, sys.argv[1].encode(), 65536) != 0:
    sys.exit("libarchive: " + (lib.archive_error_string(a) or b"?").decode())
status = lib.archive_read_next_header(a, ctypes.byref(entry))
if status == 1:  # ARCHIVE_EOF: the empty format
    sys.exit(0)
if status != 0:
    sys.exit("libarchive: " + (lib.archive_error_string(a) or b"?").decode())
buffer = ctypes.create_string_buffer(1 << 16)
while True:
    n = lib.archive_read_data(a, buffer, len(buffer))
    if n < 0:
        sys.exit("libarchive: " + (lib.archive_error_string(a) or b"?").decode())
    if n == 0:
        break
    sys.stdout.buffer.write(buffer.raw[:n])
lib.archive_read_free(a)
PY
}

python_gzip() {
    python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' "$1"
}

# zlib's inflate, member after member, as Go's and other multistream readers do.
python_zlib() {
    python3 - "$1" <<'PY'
import sys, zlib
data = open(sys.argv[1], "rb").read()
members = 0
while data:
    d = zlib.decompressobj(16 + 15)
    sys.stdout.buffer.write(d.decompress(data) + d.flush())
    if not d.eof:
        sys.exit("zlib: truncated member")
    data = d.unused_data
    members += 1
print(members, file=sys.stderr)
PY
}

# A real tar of a few MB (several 1 MiB blocks, and a remainder), and an empty file.
mkdir -p tree
cp -r "$HOIST_SOURCE_DIR/oci" "$HOIST_SOURCE_DIR/tests" tree/
seq 1 600000 >tree/numbers
head -c 300000 "$HOIST" >tree/binary
tar -cf input.tar tree
: >empty
size=$(stat -c %s input.tar)
((size > 3 * 1048576)) || fail "input.tar is only $size bytes"

check() {  # check INPUT COMPRESSED: every reader gives INPUT back
    local input=$1 compressed=$2
    gzip -t "$compressed" || fail "gzip -t $compressed"
    gzip -dc "$compressed" | cmp -s - "$input" || fail "GNU gzip reads $compressed differently"
    python_gzip "$compressed" | cmp -s - "$input" || fail "Python's gzip reads $compressed differently"
    python_zlib "$compressed" 2>/dev/null | cmp -s - "$input" || fail "zlib reads $compressed differently"
    libarchive_cat "$compressed" | cmp -s - "$input" || fail "libarchive reads $compressed differently"
    if command -v bsdcat >/dev/null; then
        bsdcat "$compressed" | cmp -s - "$input" || fail "bsdcat reads $compressed differently"
    fi
}

"$HOIST" debug compress input.tar default.gz
check input.tar default.gz
members=$(python_zlib default.gz 2>&1 >/dev/null)
expect_eq "$members" "$(((size + 1048575) / 1048576))" "members of default.gz (one per 1 MiB block)"
# Through tar, too: the same tree, file by file.
expect_eq "$(tar -xOzf default.gz | sha256sum)" "$(tar -xOf input.tar | sha256sum)" "tar -xOzf default.gz"
if command -v bsdtar >/dev/null; then
    expect_eq "$(bsdtar -xOf default.gz | sha256sum)" "$(tar -xOf input.tar | sha256sum)" "bsdtar -xOf default.gz"
fi

for jobs in 1 2 8; do
    "$HOIST" debug compress --jobs "$jobs" input.tar "jobs$jobs.gz"
    cmp -s "jobs$jobs.gz" default.gz || fail "--jobs $jobs gives other bytes"
done

"$HOIST" debug compress --block-size 4096 --jobs 3 input.tar small-blocks.gz
check input.tar small-blocks.gz
for level in 1 9 12; do
    "$HOIST" debug compress --level "$level" input.tar "level$level.gz"
    check input.tar "level$level.gz"
done
"$HOIST" debug compress empty empty.gz
check empty empty.gz

# The other formats, while here.
"$HOIST" debug compress --compression none input.tar plain
cmp -s plain input.tar || fail "--compression none changed the bytes"
if command -v zstd >/dev/null; then
    "$HOIST" debug compress --compression zstd input.tar out.zst
    zstd -q -dc out.zst | cmp -s - input.tar || fail "zstd reads out.zst differently"
fi

# Hidden from the help, and errors as every command reports them.
if "$HOIST" --help | grep -q debug; then
    fail "debug is listed in hoist --help"
fi
expect_error 1 "hoist: debug compress missing: open missing: No such file or directory" \
    "$HOIST" debug compress missing out.gz
expect_error 1 "hoist: debug compress input.tar: gzip level 13 is not between 1 and 12" \
    "$HOIST" debug compress --level 13 input.tar out.gz
expect_error 2 $'--compression: lz4 not in {gzip,zstd,none}\nRun with --help for more information.' \
    "$HOIST" debug compress --compression lz4 input.tar out.gz
