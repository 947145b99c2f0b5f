#!/bin/sh
# Lays out the root file system of the container image (the Dockerfile's
# final stage copies it into an empty image, FROM scratch):
#
#   scripts/image-rootfs.sh BINARY DEST
#
# DEST gets the binary as /usr/local/bin/diun-dashboard, the C-library files
# it loads (at the paths the binary asks for), /etc/passwd and /etc/group
# with the unprivileged user `diun` (10001:10001, home /data), an
# nsswitch.conf that reads /etc/hosts before DNS, and empty /data and /tmp.
#
# It refuses a binary that needs any shared library but the C library
# (libc, libm, libgcc_s, the loader): that is the promise of a
# self-contained build, and what this image relies on.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BINARY DEST" >&2; exit 2; }
bin=$1
dest=$2

libs=$(ldd "$bin" | awk '/=>/ { print $3; next } /^[[:space:]]*\// { print $1 }')
for lib in $libs; do
    case "$(basename "$lib")" in
        libc.so.*|libm.so.*|libgcc_s.so.*|ld-linux*.so.*) ;;
        *) echo "error: $bin needs $lib; only the C library may be linked dynamically" >&2; exit 1 ;;
    esac
done

mkdir -p "$dest/usr/local/bin" "$dest/etc" "$dest/data" "$dest/tmp"
cp "$bin" "$dest/usr/local/bin/diun-dashboard"
for lib in $libs; do
    mkdir -p "$dest$(dirname "$lib")"
    cp -L "$lib" "$dest$lib"
done
cat >"$dest/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
diun:x:10001:10001:Diun Dashboard:/data:/sbin/nologin
PASSWD
cat >"$dest/etc/group" <<'GROUP'
root:x:0:
diun:x:10001:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$dest/etc/nsswitch.conf"
chmod 1777 "$dest/tmp"
# The volume's mount point belongs to the user, so that a new volume does too.
chown 10001:10001 "$dest/data"
echo "$dest: $(du -sh "$dest" | cut -f1) ($(echo "$libs" | wc -w) C-library files)"
