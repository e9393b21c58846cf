"""Prints a file tree as one sorted line per entry, to compare unpacked images:
path, type, mode, [owner,] size, link target, xattrs, sha256 of content.

usage: tree.py ROOT [--no-owners | --rootless] [--skip PATH]...

--rootless: ROOT was unpacked by `umoci unpack --rootless`, which leaves every file to the
current user and records the image's owner in the user.rootlesscontainers xattr (a protobuf
message: uid = 1, gid = 2, 0xffffffff for "unchanged", none for 0:0); print that owner instead of
the xattr.
"""
import hashlib
import os
import stat
import sys


def rootless_owner(path):
    """The owner umoci --rootless recorded for path, as UID:GID."""
    try:
        data = os.getxattr(path, "user.rootlesscontainers", follow_symlinks=False)
    except OSError:
        return "0:0"
    ids = {1: 0, 2: 0}
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        value, i = varint(data, i)  # both fields are varints (wire type 0)
        ids[key >> 3] = 0 if value == 0xFFFFFFFF else value
    return f"{ids[1]}:{ids[2]}"


def varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def main():
    root = sys.argv[1]
    owners = "--no-owners" not in sys.argv
    rootless = "--rootless" in sys.argv
    skip = {sys.argv[i + 1] for i, arg in enumerate(sys.argv) if arg == "--skip"}
    lines = []
    for directory, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            if relative in skip:
                continue
            st = os.lstat(path)
            kind = stat.S_IFMT(st.st_mode)
            fields = [relative, oct(kind), oct(stat.S_IMODE(st.st_mode))]
            if rootless:
                fields.append(rootless_owner(path))
            elif owners:
                fields.append(f"{st.st_uid}:{st.st_gid}")
            if stat.S_ISREG(kind):
                with open(path, "rb") as f:
                    fields += [str(st.st_size), hashlib.sha256(f.read()).hexdigest()]
            elif stat.S_ISLNK(kind):
                fields.append("-> " + os.readlink(path))
            elif stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
                fields.append(f"{os.major(st.st_rdev)},{os.minor(st.st_rdev)}")
            try:
                names = sorted(os.listxattr(path, follow_symlinks=False))
            except OSError:
                names = []
            for xattr in names:
                # umoci --rootless records owners in user.rootlesscontainers.
                if rootless and xattr == "user.rootlesscontainers":
                    continue
                if owners or (xattr.startswith("user.") and xattr != "user.rootlesscontainers"):
                    fields.append(f"{xattr}={os.getxattr(path, xattr, follow_symlinks=False).hex()}")
            lines.append(" ".join(fields))
    print("\n".join(sorted(lines)))


main()
