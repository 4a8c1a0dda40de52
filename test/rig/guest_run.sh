#!/usr/bin/env bash
# Run one command inside a QEMU guest that has emulated NVMe controllers.
#
# The guest runs the generic Debian kernel with the host's own userland,
# shared read-only over 9p, so binaries built on the host run unchanged.
# See test/rig/README.md. Run with --help for the options.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$RIG_DIR/../.." && pwd -P)
CACHE=${PNVME_RIG_CACHE:-$REPO/.cache/rig}
export PATH="$PATH:/usr/sbin:/sbin"

# Exit status for a failure of the rig itself (not of the command).
RIG_ERR=125

usage() {
	cat <<'EOF'
Usage: test/rig/guest_run.sh [OPTIONS] -- COMMAND [ARGS...]

Boot a QEMU guest (TCG, no KVM needed), run COMMAND in it as root inside a
chroot of the host's root file system (read-only; /tmp, /run and /var/tmp are
tmpfs), in the same working directory as on the host. COMMAND's output is
printed to stdout and its exit status becomes ours. A failure of the rig
itself (boot failure, timeout) prints "rig: ..." to stderr and exits 125.

Options:
  --mode uio|vfio     uio (default): i440fx machine, no IOMMU.
                      vfio: q35 machine with an emulated Intel IOMMU
                      (intel_iommu=on), each controller on its own root port.
  --ctrl SPEC         add an NVMe controller (repeatable; ids nvme0, nvme1..)
                      SPEC = SERIAL:SIZES[:EXTRA]
                        SIZES  comma list, one namespace each: 256M, 1G, ...
                               (sparse raw image in the job folder) or
                               null1G (null-co backend, reads return zeroes);
                               each may end in /OPTION...: /detached (in the
                               controller's own NVM subsystem, attached to no
                               controller) or /KEY=VALUE (appended to its
                               -device nvme-ns: /ms=8/mset=1/pi=1)
                        EXTRA  appended verbatim to -device nvme (mdts=5,...)
                      default: PNVME0001:256M
  --kernel-nvme       load the kernel nvme driver at boot (binds controllers)
  --with FEATURE      load the modules tagged FEATURE in test/rig/modules.list
  --mem MB            guest memory (default 2048)
  --smp N             guest CPUs (default 2)
  --timeout SEC       whole-run limit, boot included (default 300)
  --qmp SOCK          QMP server on the unix socket SOCK (fault injection)
  --hostfwd H:G       guest NIC (e1000, 10.0.2.15/24); forward host port
                      127.0.0.1:H to guest port G (repeatable)
  --qemu-arg ARG      pass ARG to QEMU verbatim (repeatable)
  --job DIR           use DIR as the job folder (kept; images reused)
  --keep              keep the job folder after a successful run
  -h, --help          this text

In the guest COMMAND sees:
  PNVME_RIG=1, PNVME_RIG_MODE=uio|vfio
  PNVME_RIG_JOB      the job folder: read-write, same path as on the host
                     (the only place where results can be left for the host)
  PNVME_RIG_SERIALS  the controllers' serial numbers, in --ctrl order
  modprobe           works for every module in test/rig/modules.list
Hugepages are not reserved: use `scripts/setup.sh config` in COMMAND.
EOF
}

die() {
	echo "rig: $*" >&2
	exit "$RIG_ERR"
}

# ---------------------------------------------------------------- options
MODE=uio
CTRLS=()
WITH=()
MEM=2048
SMP=2
TIMEOUT=300
QMP=
HOSTFWD=()
QEMU_EXTRA=()
JOB_ARG=
KEEP=0

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs an argument (see --help)"; }

while [[ $# -gt 0 ]]; do
	case $1 in
	--mode) need_arg "$@"; MODE=$2; shift 2 ;;
	--ctrl) need_arg "$@"; CTRLS+=("$2"); shift 2 ;;
	--kernel-nvme) WITH+=(kernel-nvme); shift ;;
	--with) need_arg "$@"; WITH+=("$2"); shift 2 ;;
	--mem) need_arg "$@"; MEM=$2; shift 2 ;;
	--smp) need_arg "$@"; SMP=$2; shift 2 ;;
	--timeout) need_arg "$@"; TIMEOUT=$2; shift 2 ;;
	--qmp) need_arg "$@"; QMP=$2; shift 2 ;;
	--hostfwd) need_arg "$@"; HOSTFWD+=("$2"); shift 2 ;;
	--qemu-arg) need_arg "$@"; QEMU_EXTRA+=("$2"); shift 2 ;;
	--job) need_arg "$@"; JOB_ARG=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) die "unknown option '$1' (the command goes after --; see --help)" ;;
	esac
done
[[ $# -gt 0 ]] || die "no command given (usage: guest_run.sh [OPTIONS] -- COMMAND [ARGS...])"

case $MODE in uio | vfio) ;; *) die "--mode must be uio or vfio, not '$MODE'" ;; esac
[[ $MEM =~ ^[0-9]+$ && $MEM -ge 256 ]] || die "--mem wants a number of MB >= 256"
[[ $SMP =~ ^[0-9]+$ && $SMP -ge 1 ]] || die "--smp wants a positive number"
[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -ge 1 ]] || die "--timeout wants a positive number of seconds"
for f in "${HOSTFWD[@]}"; do
	[[ $f =~ ^[0-9]+:[0-9]+$ ]] || die "--hostfwd wants HOSTPORT:GUESTPORT, not '$f'"
done
for w in "${WITH[@]}"; do
	[[ $w =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad feature name '$w'"
done
((${#CTRLS[@]})) || CTRLS=(PNVME0001:256M)

for tool in qemu-system-x86_64 busybox cpio depmod modprobe flock timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' not found: run scripts/pkgdep.sh (as root) first"
done

# Size with an optional K/M/G/T suffix (powers of 1024) -> bytes.
to_bytes() {
	local s=$1 n unit
	[[ $s =~ ^([0-9]+)([KMGT]?)$ ]] || return 1
	n=${BASH_REMATCH[1]}
	unit=${BASH_REMATCH[2]}
	case $unit in
	K) n=$((n << 10)) ;;
	M) n=$((n << 20)) ;;
	G) n=$((n << 30)) ;;
	T) n=$((n << 40)) ;;
	esac
	((n > 0)) || return 1
	echo "$n"
}

# QEMU option values escape a comma by doubling it.
qesc() { printf '%s' "${1//,/,,}"; }

# ------------------------------------------------------------------ cache
mkdir -p "$CACHE/kernel" "$CACHE/jobs" || die "cannot create the cache at $CACHE"

# The Debian generic kernel package name (linux-image-<version>-amd64).
resolve_kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ && $2 !~ /cloud|rt-/ { print $2; exit }'
}

# apt-cache takes a noticeable fraction of a boot: reuse its last answer
# until the apt lists change.
RESOLVED=$CACHE/kernel.pkg
KPKG=
if [[ -s $RESOLVED ]] && [[ -z $(find /var/lib/apt/lists -maxdepth 1 -newer "$RESOLVED" -name '*Packages*' 2>/dev/null | head -n 1) ]]; then
	KPKG=$(cat "$RESOLVED")
fi
if [[ -z $KPKG ]]; then
	KPKG=$(resolve_kernel_pkg || true)
	[[ -n $KPKG ]] && echo "$KPKG" >"$RESOLVED.$$" && mv "$RESOLVED.$$" "$RESOLVED"
fi
if [[ -z $KPKG ]]; then
	# No apt lists (or no network for them): fall back to a cached kernel.
	# (the cache holds one kernel: older ones are pruned)
	for d in "$CACHE"/kernel/*/; do
		[[ -f $d.done ]] && KPKG=$(basename "$d")
	done
	[[ -n $KPKG ]] ||
		die "cannot resolve the guest kernel (apt-cache depends linux-image-amd64 failed): run scripts/pkgdep.sh"
fi
KDIR=$CACHE/kernel/$KPKG

# Key of the initramfs: the rig's own files and the tools copied into it.
rig_key() {
	{
		cat "$RIG_DIR/guest_run.sh" "$RIG_DIR/init.sh" "$RIG_DIR/modules.list"
		echo "$KPKG"
		stat -L -c '%s %Y' "$(command -v busybox)"
	} | sha256sum | cut -c1-16
}
KEY=$(rig_key)

cache_ready() {
	[[ -f $KDIR/.done && -f $CACHE/initramfs-$KEY.cpio.gz ]]
}

fetch_kernel() {
	local tmp=$KDIR.tmp kver
	rm -rf "$tmp"
	mkdir -p "$tmp"
	echo "rig: fetching $KPKG (first run only)" >&2
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$KPKG") >"$tmp/download.log" 2>&1 ||
		die "apt-get download $KPKG failed: $(tail -n 3 "$tmp/download.log")"
	dpkg -x "$tmp"/*.deb "$tmp/tree" || die "dpkg -x of $KPKG failed"
	kver=$(ls -1 "$tmp/tree/lib/modules" | head -n 1)
	[[ -n $kver && -f $tmp/tree/boot/vmlinuz-$kver ]] || die "unexpected layout in $KPKG"
	depmod -b "$tmp/tree" "$kver" || die "depmod failed for $kver"
	extract_vmlinux "$tmp/tree/boot/vmlinuz-$kver" "$tmp/tree/boot/config-$kver" "$tmp/vmlinux"
	echo "$kver" >"$tmp/kver"
	touch "$tmp/.done"
	rm -rf "$KDIR"
	mv "$tmp" "$KDIR"
}

# QEMU boots an uncompressed ELF kernel with a PVH entry point directly,
# which skips the firmware and the decompression (about 2 s under TCG).
# Pull it out of the bzImage when the kernel has PVH; else boot the bzImage.
extract_vmlinux() { # BZIMAGE CONFIG OUT
	grep -qx 'CONFIG_PVH=y' "$2" 2>/dev/null || return 0
	command -v python3 >/dev/null 2>&1 || return 0
	python3 - "$1" "$3" <<'PY' || rm -f "$3"
import lzma, sys, zlib
data = open(sys.argv[1], "rb").read()
for magic, unpack in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor().decompress(b)),
                      (b"\x1f\x8b\x08", lambda b: zlib.decompressobj(31).decompress(b))):
    pos = data.find(magic)
    while pos >= 0:
        try:
            elf = unpack(data[pos:])
        except Exception:
            elf = b""
        if elf[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(elf)
            sys.exit(0)
        pos = data.find(magic, pos + 1)
sys.exit(1)
PY
}

# Copy one module file into the initramfs tree, uncompressed; print its path
# as seen in the guest.
copy_module() { # SRC TREE STAGE
	local src=$1 tree=$2 stage=$3 rel dst
	rel=${src#"$tree"}
	case $rel in
	*.ko.xz) dst=${rel%.xz}; mkdir -p "$stage/$(dirname "$dst")"; xz -dc "$src" >"$stage$dst" 2>/dev/null || busybox xzcat "$src" >"$stage$dst" ;;
	*.ko.gz) dst=${rel%.gz}; mkdir -p "$stage/$(dirname "$dst")"; gzip -dc "$src" >"$stage$dst" ;;
	*.ko.zst) dst=${rel%.zst}; mkdir -p "$stage/$(dirname "$dst")"; zstd -qdc "$src" >"$stage$dst" ;;
	*.ko) dst=$rel; mkdir -p "$stage/$(dirname "$dst")"; cp "$src" "$stage$dst" ;;
	*) return 1 ;;
	esac
	echo "$dst"
}

build_initramfs() {
	local tree=$KDIR/tree kver stage out tag mod rest line path
	kver=$(cat "$KDIR/kver")
	stage=$(mktemp -d "$CACHE/initramfs-stage.XXXXXX")
	mkdir -p "$stage/bin" "$stage/lib/modules/$kver" "$stage/lib/rig/load"
	cp "$(command -v busybox)" "$stage/bin/busybox"
	if ldd "$stage/bin/busybox" 2>/dev/null | grep -q '=>'; then
		rm -rf "$stage"
		die "busybox is not static: install busybox-static (scripts/pkgdep.sh)"
	fi
	install -m 755 "$RIG_DIR/init.sh" "$stage/init"
	cp "$RIG_DIR/modules.list" "$stage/lib/rig/modules.list"
	while read -r tag mod rest; do
		case $tag in '' | '#'*) continue ;; esac
		: >"$stage/lib/rig/load/$mod.tmp"
		modprobe -d "$tree" -S "$kver" --show-depends "$mod" >"$stage/deps" 2>&1 || {
			rm -rf "$stage"
			die "module $mod (test/rig/modules.list) not found in $KPKG"
		}
		while read -r line path _; do
			case $line in
			insmod) copy_module "$path" "$tree" "$stage" >>"$stage/lib/rig/load/$mod.tmp" ||
				die "cannot copy $path" ;;
			builtin) echo builtin >>"$stage/lib/rig/load/$mod.tmp" ;;
			esac
		done <"$stage/deps"
		awk '!seen[$0]++' "$stage/lib/rig/load/$mod.tmp" >"$stage/lib/rig/load/$mod"
		rm -f "$stage/lib/rig/load/$mod.tmp"
	done <"$RIG_DIR/modules.list"
	rm -f "$stage/deps"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[[ -f $tree/lib/modules/$kver/$f ]] && cp "$tree/lib/modules/$kver/$f" "$stage/lib/modules/$kver/"
	done
	depmod -b "$stage" "$kver" || die "depmod failed on the initramfs tree"
	out=$CACHE/initramfs-$KEY.cpio.gz
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
		gzip -1 >"$out.tmp" || die "cpio of the initramfs failed"
	mv "$out.tmp" "$out"
	rm -rf "$stage"
}

# Two locks. BUILDFD (exclusive, held briefly) serializes building. USEFD is
# held shared by every run until it ends; files of other kernels or rig
# versions are pruned only when it can be had exclusively, i.e. when no
# guest is running, so pruning never pulls files from under a guest and a
# rebuild never waits for running guests.
exec {BUILDFD}>"$CACHE/build.lock" {USEFD}>"$CACHE/use.lock"
flock -x "$BUILDFD"
if ! cache_ready; then
	[[ -f $KDIR/.done ]] || fetch_kernel
	build_initramfs
fi
if flock -n -x "$USEFD"; then
	for d in "$CACHE"/kernel/*; do
		[[ $d == "$KDIR" ]] || rm -rf "$d"
	done
	for f in "$CACHE"/initramfs-*; do
		[[ $f == "$CACHE/initramfs-$KEY.cpio.gz" ]] || rm -rf "$f"
	done
fi
flock -s "$USEFD"
flock -u "$BUILDFD"
exec {BUILDFD}>&-
KVER=$(cat "$KDIR/kver")
VMLINUZ=$KDIR/tree/boot/vmlinuz-$KVER
[[ -s $KDIR/vmlinux ]] && VMLINUZ=$KDIR/vmlinux
INITRD=$CACHE/initramfs-$KEY.cpio.gz

# -------------------------------------------------------------- job folder
# Failed runs keep their folder for inspection; prune those older than a day.
find "$CACHE/jobs" -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf {} + 2>/dev/null || true

if [[ -n $JOB_ARG ]]; then
	mkdir -p "$JOB_ARG" || die "cannot create the job folder $JOB_ARG"
	JOB=$(cd "$JOB_ARG" && pwd -P)
	KEEP=1
	rm -rf "$JOB/.rig" "$JOB/output" "$JOB/rc" "$JOB/rc.tmp" "$JOB/console.log"
else
	JOB=$(mktemp -d "$CACHE/jobs/$(date +%Y%m%d-%H%M%S).XXXXXX") || die "cannot create a job folder"
fi
[[ $JOB != *"'"* && $JOB != *$'\n'* ]] || die "the job folder path must not contain quotes or newlines"
[[ $REPO != *"'"* && $REPO != *$'\n'* ]] || die "the repository path must not contain quotes or newlines"
mkdir -p "$JOB/.rig/bin" "$JOB/.rig/kmod/lib/modules"
: >"$JOB/output"

CWD=$(pwd -P)

# ------------------------------------------------------------ controllers
DEVARGS=()
SERIALS=()
if [[ $MODE == vfio ]]; then
	DEVARGS+=(-device "intel-iommu,intremap=on,caching-mode=on")
fi
i=0
for spec in "${CTRLS[@]}"; do
	serial=${spec%%:*}
	[[ $spec == *:* ]] || die "--ctrl '$spec': want SERIAL:SIZES[:EXTRA]"
	rest=${spec#*:}
	sizes=${rest%%:*}
	extra=
	[[ $rest == *:* ]] && extra=${rest#*:}
	[[ $serial =~ ^[A-Za-z0-9_.-]{1,20}$ ]] || die "--ctrl '$spec': serial must be 1-20 of [A-Za-z0-9_.-]"
	[[ -n $sizes ]] || die "--ctrl '$spec': no namespace size"
	IFS=, read -r -a nslist <<<"$sizes"
	blk=()
	nsextra=()
	subsys=
	j=1
	for sz in "${nslist[@]}"; do
		nsextra+=("")
		IFS=/ read -r -a nsopts <<<"$sz"
		sz=${nsopts[0]}
		for o in "${nsopts[@]:1}"; do
			if [[ $o == detached ]]; then
				nsextra[j - 1]+=",detached=true"
				subsys=subsys$i
			elif [[ $o =~ ^[a-z_]+=[A-Za-z0-9_]+$ ]]; then
				nsextra[j - 1]+=",$o"
			else
				die "--ctrl '$spec': namespace option '$o' is not detached or KEY=VALUE"
			fi
		done
		node=nvm${i}n${j}
		if [[ $sz == null* ]]; then
			bytes=$(to_bytes "${sz#null}") || die "--ctrl '$spec': bad size '$sz'"
			DEVARGS+=(-blockdev "driver=null-co,node-name=$node,size=$bytes,read-zeroes=on")
		else
			bytes=$(to_bytes "$sz") || die "--ctrl '$spec': bad size '$sz'"
			img=$JOB/nvme${i}n${j}.img
			[[ -f $img ]] || truncate -s "$bytes" "$img" || die "cannot create $img"
			DEVARGS+=(-blockdev "driver=raw,node-name=$node,discard=unmap,file.driver=file,file.discard=unmap,file.filename=$(qesc "$img")")
		fi
		blk+=("$node")
		j=$((j + 1))
	done
	dev="nvme,id=nvme$i,serial=$serial"
	if [[ -n $subsys ]]; then
		# Detached namespaces live in a subsystem (its NQN names it).
		DEVARGS+=(-device "nvme-subsys,id=$subsys,nqn=nqn.2026-12.io.pnvme.rig:$subsys")
		dev+=",subsys=$subsys"
	fi
	if [[ $MODE == vfio ]]; then
		DEVARGS+=(-device "pcie-root-port,id=rp$i,chassis=$((i + 1)),slot=$((i + 1))")
		dev+=",bus=rp$i"
	fi
	[[ -n $extra ]] && dev+=",$extra"
	DEVARGS+=(-device "$dev")
	# Namespaces as their own devices even when there is one: only those
	# get Copy limits (MSSRL/MCL/MSRC); the controller's drive= shortcut
	# reports zeros.
	for ((j = 1; j <= ${#blk[@]}; j++)); do
		DEVARGS+=(-device "nvme-ns,drive=${blk[j - 1]},bus=nvme$i,nsid=$j${nsextra[j - 1]}")
	done
	SERIALS+=("$serial")
	i=$((i + 1))
done

# ------------------------------------------------------ files for the guest
NET=0
((${#HOSTFWD[@]})) && NET=1
{
	echo "RIG_JOB='$JOB'"
	echo "RIG_REPO='$REPO'"
	echo "RIG_WITH='${WITH[*]}'"
	echo "RIG_NET=$NET"
} >"$JOB/rig.env"

{
	echo "# written by test/rig/guest_run.sh; runs in the guest's chroot"
	printf 'export PNVME_RIG=1 PNVME_RIG_MODE=%q\n' "$MODE"
	printf 'export PNVME_RIG_JOB=%q\n' "$JOB"
	printf 'export PNVME_RIG_SERIALS=%q\n' "${SERIALS[*]}"
	printf 'cd -- %q || { echo "rig: cannot enter %q in the guest" >&2; exit 125; }\n' "$CWD" "$CWD"
	printf 'command -v -- %q >/dev/null || { echo "rig: %q: command not found in the guest" >&2; exit 127; }\n' "$1" "$1"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$JOB/.rig/cmd.sh"

cat >"$JOB/.rig/bin/modprobe" <<'EOF'
#!/bin/sh
# The chroot has no modules of the guest kernel; the rig mounts them here.
exec /sbin/modprobe -d "$(dirname "$0")/../kmod" "$@"
EOF
chmod +x "$JOB/.rig/bin/modprobe"

# ------------------------------------------------------------------- QEMU
APPEND="console=ttyS0 panic=-1 quiet"
# Named threads ("CPU 0/TCG", ...) let benchmarks see where host time goes.
QEMU=(qemu-system-x86_64 -name pnvme-rig,debug-threads=on -nographic -no-reboot -accel tcg -cpu max
	-smp "$SMP" -m "$MEM")
if [[ $MODE == vfio ]]; then
	QEMU+=(-machine "q35,kernel-irqchip=split")
	APPEND+=" intel_iommu=on"
else
	QEMU+=(-machine pc)
fi
QEMU+=(-kernel "$VMLINUZ" -initrd "$INITRD" -append "$APPEND")
QEMU+=("${DEVARGS[@]}")
QEMU+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
QEMU+=(-virtfs "local,path=$(qesc "$JOB"),mount_tag=job,security_model=none,multidevs=remap")
# The repository on its own share: the root share cannot show a clone that
# lives under /tmp, /run or /var/tmp (the guest's tmpfs hides them).
QEMU+=(-virtfs "local,path=$(qesc "$REPO"),mount_tag=repo,security_model=none,multidevs=remap")
if ((NET)); then
	fwd=
	for f in "${HOSTFWD[@]}"; do
		fwd+=",hostfwd=tcp:127.0.0.1:${f%%:*}-:${f#*:}"
	done
	QEMU+=(-netdev "user,id=n0$fwd" -device "e1000,netdev=n0")
else
	QEMU+=(-nic none)
fi
[[ -n $QMP ]] && QEMU+=(-qmp "unix:$(qesc "$QMP"),server=on,wait=off")
QEMU+=(-pidfile "$JOB/.rig/qemu.pid")
QEMU+=("${QEMU_EXTRA[@]}")
printf '%q ' "${QEMU[@]}" >"$JOB/.rig/qemu.cmd"

QPID=
TPID=
finish() {
	local rc=$?
	local qemu_pid=
	[[ -f $JOB/.rig/qemu.pid ]] && qemu_pid=$(cat "$JOB/.rig/qemu.pid" 2>/dev/null || true)
	if [[ -n $QPID ]] && kill -0 "$QPID" 2>/dev/null; then
		# `timeout` passes the signal on to QEMU.
		kill -TERM "$QPID" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$QPID" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$QPID" 2>/dev/null || true
	fi
	if [[ $qemu_pid =~ ^[0-9]+$ ]] && kill -0 "$qemu_pid" 2>/dev/null &&
		[[ $(cat "/proc/$qemu_pid/comm" 2>/dev/null) == qemu-system-* ]]; then
		kill -KILL "$qemu_pid" 2>/dev/null || true
	fi
	if [[ -n $TPID ]]; then
		kill "$TPID" 2>/dev/null || true
	fi
	if ((rc != RIG_ERR && !KEEP)); then
		rm -rf "$JOB"
	elif ((rc != RIG_ERR)); then
		echo "rig: job folder kept: $JOB" >&2
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$JOB/console.log" 2>&1 {USEFD}>&- &
QPID=$!
# Stream the command's output while it runs (the guest appends to the file
# through the 9p share).
tail -c +1 -s 0.2 -f --pid="$QPID" "$JOB/output" {USEFD}>&- &
TPID=$!

qrc=0
wait "$QPID" || qrc=$?
wait "$TPID" 2>/dev/null || true
TPID=

if [[ -f $JOB/rc ]]; then
	rc=$(cat "$JOB/rc")
	[[ $rc =~ ^[0-9]+$ ]] || die "bad exit status '$rc' from the guest (job folder: $JOB)"
	exit "$rc"
fi

if ((qrc == 124 || qrc == 137)); then
	why="timeout after ${TIMEOUT}s"
elif grep -q 'rig-init: running the command' "$JOB/console.log" 2>/dev/null; then
	why="the guest stopped before the command finished (QEMU status $qrc)"
else
	why="the guest did not boot to the command (QEMU status $qrc)"
fi
{
	echo "rig: $why"
	echo "rig: ---- last lines of the console log ----"
	tail -n 30 "$JOB/console.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r//g; s/^/rig: | /'
	echo "rig: console log: $JOB/console.log"
} >&2
exit "$RIG_ERR"
