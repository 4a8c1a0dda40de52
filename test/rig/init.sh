#!/bin/busybox sh
# shellcheck shell=dash
# /init of the QEMU test rig's guest (runs from the initramfs, busybox only).
#
# Mounts the host's root read-only at /host and the per-run job folder at
# /job (and at its host path inside /host), loads modules, runs the command
# the host wrote to the job folder inside `chroot /host`, stores its output
# and exit status in the job folder, then powers off.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev /host /job /tmp
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# Kernel messages would otherwise interleave with our own on the console.
echo 1 > /proc/sys/kernel/printk

say() { echo "rig-init: $*"; }
die() {
	say "FATAL: $*"
	sync
	poweroff -f
	sleep 10
}

# Load one module and its dependencies in the order computed on the host.
load_module() { # NAME [PARAMS...]
	local name=$1 list ko mod last
	shift
	list=/lib/rig/load/$name
	[ -f "$list" ] || { say "module $name is not in the initramfs"; return 1; }
	last=$(tail -n 1 "$list")
	while read -r ko; do
		[ -n "$ko" ] || continue
		[ "$ko" = builtin ] && continue
		mod=$(basename "$ko" .ko)
		mod=$(echo "$mod" | tr - _)
		[ -d "/sys/module/$mod" ] && [ -e "/sys/module/$mod/initstate" ] && continue
		if [ "$ko" = "$last" ]; then
			insmod "$ko" "$@" || { say "insmod $ko failed"; return 1; }
		else
			insmod "$ko" || { say "insmod $ko failed"; return 1; }
		fi
	done < "$list"
	return 0
}

# Load every module of the given tag from the list.
load_tag() { # TAG
	local tag mod params
	while read -r tag mod params; do
		case $tag in ''|'#'*) continue ;; esac
		[ "$tag" = "$1" ] || continue
		# shellcheck disable=SC2086
		load_module "$mod" $params
	done < /lib/rig/modules.list
}

load_tag boot

mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host ||
	die "cannot mount the host root (9p tag hostroot)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,rw job /job ||
	die "cannot mount the job folder (9p tag job)"
[ -f /job/rig.env ] || die "no rig.env in the job folder"
. /job/rig.env
[ -n "$RIG_JOB" ] || die "rig.env does not set RIG_JOB"

for feature in $RIG_WITH; do
	load_tag "$feature"
done

# The chroot: host userland, guest kernel interfaces, writable scratch space.
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t hugetlbfs nodev /dev/hugepages || die "cannot mount hugetlbfs"
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
if [ -d /sys/kernel/config ]; then
	mount -t configfs configfs /sys/kernel/config 2>/dev/null
fi
# rbind: the mounts below /dev and /sys come along.
mount -o bind /proc /host/proc || die "bind /proc"
mount -o rbind /sys /host/sys || die "bind /sys"
mount -o rbind /dev /host/dev || die "bind /dev"
for d in /tmp /run /var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "/host$d" || die "cannot mount tmpfs on $d"
done

# The repository at its own path, wherever it lives on the host.
[ -n "$RIG_REPO" ] || die "rig.env does not set RIG_REPO"
mkdir -p "/host$RIG_REPO" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,rw repo "/host$RIG_REPO" ||
	die "cannot mount the repository (9p tag repo) at $RIG_REPO"

# The job folder at the same absolute path as on the host.
mkdir -p "/host$RIG_JOB" 2>/dev/null
mount -o bind /job "/host$RIG_JOB" || die "cannot bind the job folder at $RIG_JOB"
# Modules of this kernel for modprobe inside the chroot (see the wrapper).
if [ -d "/host$RIG_JOB/.rig/kmod/lib/modules" ]; then
	mount -o bind /lib/modules "/host$RIG_JOB/.rig/kmod/lib/modules" ||
		say "cannot expose the modules to the chroot"
fi

ip link set lo up 2>/dev/null
if [ "$RIG_NET" = 1 ]; then
	ip link set eth0 up || die "no eth0"
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
fi

say "running the command"
chroot /host /usr/bin/env -i \
	PATH="$RIG_JOB/.rig/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	HOME=/tmp TERM=dumb LANG=C.UTF-8 \
	/bin/bash "$RIG_JOB/.rig/cmd.sh" < /dev/null >> /job/output 2>&1
echo $? > /job/rc.tmp
mv /job/rc.tmp /job/rc
say "command exited with status $(cat /job/rc)"
sync
umount "/host$RIG_JOB" 2>/dev/null
poweroff -f
