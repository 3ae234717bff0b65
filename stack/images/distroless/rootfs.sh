#!/bin/sh
# Assemble a distroless-like root filesystem under /rootfs for one Go binary, in the
# builder stage of stackctl/tyk-gateway and stackctl/tyk-pump (copied into their build
# contexts by `stackctl images build`). What gcr.io/distroless/base:nonroot gives the
# official images, taken from Debian: the binary's shared libraries and loader (ldd),
# CA certificates, tzdata, /etc/passwd and /etc/group naming root and nonroot (65532),
# /home/nonroot, /tmp 1777, an nsswitch.conf. No shell and no coreutils: the final stage
# is FROM scratch. Usage: rootfs.sh APP_DIR BINARY (both absolute, already under /rootfs).
set -eu
R=/rootfs
app=$1
binary=$2

# the shared libraries and the loader the binary names (none for a static binary)
if ldd "$R$binary" >/tmp/ldd.txt 2>&1; then
    for lib in $(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' /tmp/ldd.txt); do
        mkdir -p "$R$(dirname "$lib")"
        cp -L "$lib" "$R$lib"
    done
fi

mkdir -p "$R/etc/ssl/certs" "$R/usr/share" "$R/tmp" "$R/home/nonroot"
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
cp -a /usr/share/zoneinfo "$R/usr/share/zoneinfo"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$R/etc/group"
printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
chmod 0644 "$R/etc/passwd" "$R/etc/group" "$R/etc/nsswitch.conf"
chmod 1777 "$R/tmp"
chown 65532:65532 "$R/home/nonroot"
chmod 0700 "$R/home/nonroot"

# the application folder: root-owned, readable by any user (Tyk's `chmod -R a+rX`)
chown -R 0:0 "$R$app"
chmod -R a+rX,go-w "$R$app"
