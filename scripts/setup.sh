#!/usr/bin/env bash
# Prepare a machine for pnvme: hugepages and NVMe controllers bound to a
# userspace-capable driver (vfio-pci with an IOMMU, else uio_pci_generic).
set -euo pipefail

NVME_CLASS=0x010802
PCI=/sys/bus/pci
HUGE2M=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HUGEDIR=/dev/hugepages

usage() {
	cat <<'EOF'
Usage: scripts/setup.sh config|reset|status

  config  reserve HUGEMEM MB of 2 MiB hugepages (default 2048), mount
          hugetlbfs at /dev/hugepages, and bind every NVMe controller
          (PCI class 0x010802) to vfio-pci when an IOMMU is present, else
          to uio_pci_generic. Controllers whose namespaces are mounted,
          used as swap or held by another block device are skipped.
  reset   give controllers bound to vfio-pci/uio_pci_generic back to the
          kernel nvme driver and release the hugepages.
  status  show hugepages and every NVMe controller with its driver.

Environment:
  HUGEMEM=MB            hugepage memory for config (default 2048)
  PCI_BLOCKED="BDF..."  controllers to leave alone
  PCI_ALLOWED="BDF..."  when set, only these controllers are touched
  DRIVER_OVERRIDE=NAME  bind to NAME instead of the automatic choice
EOF
}

die() {
	echo "setup: $*" >&2
	exit 1
}
warn() { echo "setup: $*" >&2; }

need_root() {
	[[ $(id -u) -eq 0 ]] || die "'$1' must be run as root"
}

# Full form of a PCI address (0000:00:04.0) from the short one (00:04.0).
norm_bdf() {
	local b=${1,,}
	[[ $b =~ ^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && b=0000:$b
	echo "$b"
}

in_list() { # BDF LIST
	local x
	for x in $2; do
		[[ $(norm_bdf "$x") == "$1" ]] && return 0
	done
	return 1
}

# (Forks are slow in an emulated guest: helpers stick to bash builtins.)
nvme_bdfs() {
	local d c
	for d in "$PCI"/devices/*; do
		c=
		[[ -r $d/class ]] && read -r c <"$d/class"
		[[ $c == "$NVME_CLASS" ]] && echo "${d##*/}"
	done
	return 0
}

# BDF is one to act on (allowed, not blocked)?
selected() {
	in_list "$1" "${PCI_BLOCKED:-}" && return 1
	[[ -z ${PCI_ALLOWED:-} ]] && return 0
	in_list "$1" "$PCI_ALLOWED"
}

dev_driver() {
	local t
	t=$(cd -P "$PCI/devices/$1/driver" 2>/dev/null && pwd) || t=none
	echo "${t##*/}"
}

dev_id() {
	local v d
	read -r v <"$PCI/devices/$1/vendor"
	read -r d <"$PCI/devices/$1/device"
	printf '%s:%s' "${v#0x}" "${d#0x}"
}

# Block devices (namespaces) of a controller bound to the kernel nvme driver.
# With native multipath the per-path node (nvme0c0n1) is reported as its
# visible head (nvme0n1).
dev_blocks() {
	local ns n h out=()
	for ns in "$PCI"/devices/"$1"/nvme/nvme*/nvme*n*; do
		[[ -e $ns ]] || continue
		n=${ns##*/}
		if [[ $n =~ ^nvme[0-9]+c[0-9]+n[0-9]+$ ]]; then
			for h in /sys/block/*/multipath/"$n"; do
				[[ -e $h ]] || continue
				h=${h#/sys/block/}
				n=${h%%/*}
			done
		fi
		out+=("$n")
	done
	((${#out[@]})) && printf '%s\n' "${out[@]}" | sort -u
	return 0
}

# Real paths of every block device that is mounted or used as swap.
busy_devices() {
	local src _
	{
		while read -r src _; do
			[[ $src == /dev/* ]] && readlink -f "$src"
		done </proc/mounts
		if [[ -r /proc/swaps ]]; then
			while read -r src _; do
				[[ $src == /dev/* ]] && readlink -f "$src"
			done < <(tail -n +2 /proc/swaps)
		fi
	} 2>/dev/null | sort -u
	return 0
}

# Why a controller must not be taken from the kernel (empty when free).
in_use_reason() { # BDF BUSYLIST
	local blk p part reasons=()
	while read -r blk; do
		[[ -n $blk ]] || continue
		for p in /sys/block/"$blk" /sys/block/"$blk"/"$blk"*; do
			[[ -d $p ]] || continue
			part=${p##*/}
			if grep -qx "/dev/$part" <<<"$2"; then
				reasons+=("/dev/$part is mounted or swap")
			fi
			if compgen -G "$p/holders/*" >/dev/null; then
				reasons+=("/dev/$part is held by $(ls "$p/holders" | tr '\n' ' ' | sed 's/ $//')")
			fi
		done
	done < <(dev_blocks "$1")
	((${#reasons[@]})) && echo "${reasons[*]}"
	return 0
}

iommu_present() {
	compgen -G '/sys/kernel/iommu_groups/*' >/dev/null
}

load_driver() { # MODULE DRIVER
	modprobe "$1" 2>/dev/null && return 0
	[[ -d $PCI/drivers/$2 ]] && return 0
	die "cannot load the $1 module"
}

# Bind BDF to DRIVER; print the transition. Returns 1 on failure.
bind_dev() { # BDF DRIVER
	local bdf=$1 drv=$2 d=$PCI/devices/$1 old new
	old=$(dev_driver "$bdf")
	if [[ $old != "$drv" ]]; then
		if [[ $old != none ]]; then
			echo "$bdf" >"$d/driver/unbind" || { warn "$bdf: cannot unbind from $old"; return 1; }
		fi
		echo "$drv" >"$d/driver_override"
		echo "$bdf" >"$PCI/drivers_probe" 2>/dev/null || true
	fi
	new=$(dev_driver "$bdf")
	echo "$bdf ($(dev_id "$bdf")): $old -> $new"
	if [[ $new != "$drv" ]]; then
		warn "$bdf: binding to $drv failed (see dmesg)"
		return 1
	fi
	return 0
}

vfio_check_group() { # BDF
	local bdf=$1 g other
	[[ -e $PCI/devices/$bdf/iommu_group ]] || { warn "$bdf: no IOMMU group"; return 1; }
	g=$(basename "$(readlink -f "$PCI/devices/$bdf/iommu_group")")
	for _ in $(seq 1 40); do
		[[ -c /dev/vfio/$g ]] && break
		sleep 0.05
	done
	[[ -c /dev/vfio/$g ]] || { warn "$bdf: /dev/vfio/$g did not appear"; return 1; }
	[[ -r /dev/vfio/$g && -w /dev/vfio/$g ]] || chmod 0600 "/dev/vfio/$g"
	# Every device of the group must be free for the group to be usable.
	for other in /sys/kernel/iommu_groups/"$g"/devices/*; do
		other=${other##*/}
		[[ $other == "$bdf" ]] && continue
		case $(dev_driver "$other") in
		vfio-pci | none | pcieport) ;;
		*) warn "$bdf: IOMMU group $g also holds $other (driver $(dev_driver "$other")): the group is not usable" ;;
		esac
	done
	return 0
}

# Set the number of 2 MiB hugepages; true when all were reserved.
set_hugepages() { # COUNT
	local f=$HUGE2M
	[[ -w $f ]] || f=/proc/sys/vm/nr_hugepages
	echo "$1" >"$f" 2>/dev/null || return 1
	[[ $(<"$f") -ge $1 ]] && return 0
	# Fragmented memory: drop caches, compact, try once more.
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
	echo 1 >/proc/sys/vm/compact_memory 2>/dev/null || true
	echo "$1" >"$f" 2>/dev/null || return 1
	[[ $(<"$f") -ge $1 ]]
}

config_hugepages() {
	local mb=${HUGEMEM:-2048} pages got f=$HUGE2M
	[[ $mb =~ ^[0-9]+$ ]] || die "HUGEMEM must be a number of MB, not '$mb'"
	pages=$(((mb + 1) / 2))
	[[ -e $f ]] || f=/proc/sys/vm/nr_hugepages
	[[ -e $f ]] || die "the kernel has no hugepage support"
	if ! set_hugepages "$pages"; then
		got=$(<"$f")
		die "asked for $pages 2 MiB hugepages (HUGEMEM=$mb), got $got"
	fi
	if ! grep -qs "^[^ ]* $HUGEDIR hugetlbfs " /proc/mounts; then
		mkdir -p "$HUGEDIR"
		mount -t hugetlbfs -o pagesize=2M nodev "$HUGEDIR" ||
			die "cannot mount hugetlbfs at $HUGEDIR"
	fi
	echo "hugepages: $pages x 2 MiB reserved, hugetlbfs at $HUGEDIR"
}

cmd_config() {
	need_root config
	config_hugepages

	local drv mod bdf reason busy fail=0 count=0
	if [[ -n ${DRIVER_OVERRIDE:-} ]]; then
		drv=$DRIVER_OVERRIDE
	elif iommu_present; then
		drv=vfio-pci
	else
		drv=uio_pci_generic
	fi
	mod=$drv
	busy=$(busy_devices)

	for bdf in $(nvme_bdfs); do
		selected "$bdf" || { echo "$bdf ($(dev_id "$bdf")): skipped (PCI_BLOCKED/PCI_ALLOWED)"; continue; }
		if [[ $(dev_driver "$bdf") == nvme ]]; then
			reason=$(in_use_reason "$bdf" "$busy")
			if [[ -n $reason ]]; then
				echo "$bdf ($(dev_id "$bdf")): skipped, in use: $reason"
				continue
			fi
		fi
		if ((count == 0)); then
			load_driver "$mod" "$drv"
			[[ $drv == vfio-pci ]] && { modprobe vfio_iommu_type1 2>/dev/null || true; }
		fi
		count=$((count + 1))
		if bind_dev "$bdf" "$drv"; then
			if [[ $drv == vfio-pci ]]; then
				vfio_check_group "$bdf" || fail=1
			fi
		else
			fail=1
		fi
	done
	((count)) || echo "no NVMe controller to bind"
	return "$fail"
}

cmd_reset() {
	need_root reset
	local bdf drv ovr have_nvme=1 fail=0 f left
	for bdf in $(nvme_bdfs); do
		selected "$bdf" || continue
		drv=$(dev_driver "$bdf")
		ovr=$(cat "$PCI/devices/$bdf/driver_override" 2>/dev/null || echo '(null)')
		case $drv in
		vfio-pci | uio_pci_generic) ;;
		none) [[ $ovr == vfio-pci || $ovr == uio_pci_generic ]] || continue ;;
		*) continue ;;
		esac
		if ((have_nvme)) && ! modprobe nvme 2>/dev/null && [[ ! -d $PCI/drivers/nvme ]]; then
			warn "the nvme driver is not available: controllers are left without a driver"
			have_nvme=0
		fi
		[[ $drv != none ]] && echo "$bdf" >"$PCI/devices/$bdf/driver/unbind"
		echo nvme >"$PCI/devices/$bdf/driver_override"
		echo "$bdf" >"$PCI/drivers_probe" 2>/dev/null || true
		# Leave no override behind (does not unbind).
		echo >"$PCI/devices/$bdf/driver_override"
		echo "$bdf ($(dev_id "$bdf")): $drv -> $(dev_driver "$bdf")"
		if ((have_nvme)) && [[ $(dev_driver "$bdf") != nvme ]]; then
			warn "$bdf: binding to nvme failed (see dmesg)"
			fail=1
		fi
	done

	for f in /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages; do
		[[ -e $f ]] && echo 0 >"$f"
	done
	left=$(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo)
	if [[ -n $left && $left != 0 ]]; then
		warn "$left hugepages are still in use (files left in a hugetlbfs mount?)"
	else
		echo "hugepages: released"
	fi
	return "$fail"
}

cmd_status() {
	local h size node bdf numa blocks
	echo "Hugepages"
	printf '  %-10s %8s %8s\n' size total free
	for h in /sys/kernel/mm/hugepages/hugepages-*; do
		[[ -d $h ]] || continue
		size=${h##*hugepages-}
		printf '  %-10s %8s %8s\n' "$size" "$(<"$h/nr_hugepages")" "$(<"$h/free_hugepages")"
		for node in /sys/devices/system/node/node*/hugepages/hugepages-"$size"; do
			[[ -d $node ]] || continue
			[[ $(<"$node/nr_hugepages") == 0 ]] && continue
			printf '    %-8s %8s %8s\n' "$(basename "$(dirname "$(dirname "$node")")")" \
				"$(<"$node/nr_hugepages")" "$(<"$node/free_hugepages")"
		done
	done
	if iommu_present; then
		echo "IOMMU: present ($(ls /sys/kernel/iommu_groups | wc -l) groups)"
	else
		echo "IOMMU: absent"
	fi
	echo
	echo "NVMe controllers"
	printf '%-14s %-11s %-5s %-16s %s\n' BDF vendor:dev numa driver "block devices"
	for bdf in $(nvme_bdfs); do
		numa=$(cat "$PCI/devices/$bdf/numa_node" 2>/dev/null || echo -1)
		blocks=$(dev_blocks "$bdf" | tr '\n' ' ' | sed 's/ $//')
		printf '%-14s %-11s %-5s %-16s %s\n' "$bdf" "$(dev_id "$bdf")" "$numa" \
			"$(dev_driver "$bdf")" "${blocks:--}"
	done
}

case ${1:-} in
config) cmd_config ;;
reset) cmd_reset ;;
status) cmd_status ;;
-h | --help | help) usage ;;
'') usage >&2; exit 1 ;;
*) echo "setup: unknown command '$1'" >&2; usage >&2; exit 1 ;;
esac
