#!/usr/bin/env bash
# Builds the kernel and initramfs of kofu's USB printer test:
#   qemu/build.sh OUTDIR JOBDIR
# writes OUTDIR/vmlinuz and OUTDIR/initrd.gz. JOBDIR holds the two-sided
# job's faces (face-1.png …, written by the test from a real session on
# the build machine); they go to /job in the initramfs, where the host
# side prints them. The guest runs Debian's own
# kernel with dummy_hcd (a loopback USB host and device controller),
# usb_f_printer (the printer gadget) and usblp, the static gadget-side
# program (cmd/usbgadget) and the host-side program (cmd/usbhost, cgo +
# libusb) built from this checkout, and qemu/init.
#
# The kernel package (apt-get download linux-image-$KVER) is kept in
# $KOFU_USBTEST_CACHE (default printer/usbtest/.cache, gitignored); only
# the first run needs the network. Exit status 3: the kernel could not be
# had (no network, no apt); anything else non-zero: a build error.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$(cd "$HERE/../../.." && pwd)
OUT=${1:?usage: build.sh OUTDIR JOBDIR}
JOB=${2:?usage: build.sh OUTDIR JOBDIR}
ls "$JOB"/face-*.png >/dev/null || { echo "build.sh: no faces (face-N.png) in $JOB" >&2; exit 1; }
CACHE=${KOFU_USBTEST_CACHE:-$HERE/../.cache}
mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)
CACHE=$(cd "$CACHE" && pwd)

# Modules, in load order (paths under lib/modules/$KVER/kernel).
MODULES="fs/configfs/configfs drivers/usb/common/usb-common drivers/usb/core/usbcore
drivers/usb/gadget/udc/udc-core drivers/usb/gadget/udc/dummy_hcd drivers/usb/gadget/libcomposite
drivers/usb/gadget/function/usb_f_printer drivers/usb/class/usblp"

# 1. The kernel: Debian's, as on a store machine.
KVER=${KVER:-$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-//p' | head -n1)}
if [ -z "$KVER" ]; then
  KVER=$(ls "$CACHE" 2>/dev/null | sed -n 's/^linux-image-\(.*-amd64\)$/\1/p' | sort -V | tail -n1)
fi
[ -n "$KVER" ] || { echo "build.sh: cannot determine the Debian kernel version (apt-cache depends linux-image-amd64)" >&2; exit 3; }
KROOT=$CACHE/linux-image-$KVER
if [ ! -f "$KROOT/vmlinuz" ]; then
  DEB=$(ls "$CACHE"/linux-image-"$KVER"_*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$DEB" ]; then
    (cd "$CACHE" && apt-get download "linux-image-$KVER" >&2) || { echo "build.sh: apt-get download linux-image-$KVER failed" >&2; exit 3; }
    DEB=$(ls "$CACHE"/linux-image-"$KVER"_*.deb | head -n1)
  fi
  tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
  dpkg-deb -x "$DEB" "$tmp"
  mkdir -p "$KROOT/modules"
  for m in $MODULES; do
    f=$(ls "$tmp/lib/modules/$KVER/kernel/$m".ko* | head -n1)
    cp "$f" "$KROOT/modules/"
  done
  cp "$tmp/boot/vmlinuz-$KVER" "$KROOT/vmlinuz"
  rm -rf "$tmp"
fi
cp "$KROOT/vmlinuz" "$OUT/vmlinuz"

# 2. The two programs.
R=$OUT/root
rm -rf "$R"
mkdir -p "$R/bin" "$R/lib/modules" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run" "$R/etc"
(cd "$MOD" && CGO_ENABLED=1 go build -trimpath -o "$R/bin/usbhost" ./printer/usbtest/cmd/usbhost)
(cd "$MOD" && CGO_ENABLED=0 go build -trimpath -o "$R/bin/usbgadget" ./printer/usbtest/cmd/usbgadget)

# 3. The initramfs: busybox, modules, the programs, their shared libraries
# (libusb links libudev; copied to their real paths, ld.so included).
cp /bin/busybox "$R/bin/busybox"
for m in "$KROOT"/modules/*; do
  case "$m" in
    *.ko) cp "$m" "$R/lib/modules/" ;;
    *.ko.xz) xz -dc "$m" > "$R/lib/modules/$(basename "$m" .xz)" ;;
    *.ko.zst) zstd -qdc "$m" > "$R/lib/modules/$(basename "$m" .zst)" ;;
  esac
done
for lib in $(ldd "$R/bin/usbhost" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
  mkdir -p "$R$(dirname "$lib")"
  cp -L "$lib" "$R$lib"
done
mkdir -p "$R/job"
cp "$JOB"/face-*.png "$R/job/"
cp "$HERE/init" "$R/init"
chmod 755 "$R/init" "$R/bin/usbhost" "$R/bin/usbgadget"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.gz"
echo "build.sh: kernel $KVER, initrd $(du -h "$OUT/initrd.gz" | cut -f1)" >&2
