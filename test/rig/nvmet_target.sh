#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest: the kernel's NVMe-oF target on memory-backed
# null_blk devices, controlled by the host through the job folder.
#
#   sh test/rig/nvmet_target.sh NQN...                     NVMe/TCP on 0.0.0.0:4420
#   NVMET_TRTYPE=rdma sh test/rig/nvmet_target.sh NQN...   NVMe/RDMA over soft-RoCE
#                                                          (rxe0 on eth0) on 10.0.2.15:4420
# (one subsystem per NQN; RDMA needs the guest NIC: guest_run.sh --hostfwd)
#
# Runs $PNVME_RIG_JOB/guest_check.sh first when the host left one there
# (and ends after it with NVMET_EXIT_AFTER_CHECK=1: the checks ran in here).
# Writes $PNVME_RIG_JOB/target.ready when listening on port 4420. Then
# obeys the word the host writes to $PNVME_RIG_JOB/target.cmd, answering in
# target.ack: "unlink" (the port stops offering the subsystems: their
# connections drop; with none left the port closes), "link" (offered
# again), "unlink-last" / "link-last" (the last subsystem alone, so the
# port stays open), "add-ns" / "del-ns" (namespace
# 2 of the first subsystem, on a spare null_blk device, enabled or removed
# while connected), "stop" (clean end), "poweroff" (end at once, connections
# left open: the guest just stops).
set -u
JOB=$PNVME_RIG_JOB
CFG=/sys/kernel/config/nvmet
TRTYPE=${NVMET_TRTYPE:-tcp}

fail() {
	echo "target: $*" >&2
	exit 1
}

[ $# -ge 1 ] || fail "usage: $0 NQN..."
# One device per subsystem, and a spare for add-ns.
modprobe null_blk nr_devices=$(($# + 1)) gb=1 memory_backed=1 || fail "null_blk"
modprobe nvmet || fail "nvmet"
case $TRTYPE in
tcp)
	modprobe nvmet-tcp || fail "nvmet-tcp"
	# Without a crc32c provider the target cannot honour digests (and the
	# kernel's nvmet-tcp then crashes releasing that connection).
	modprobe crc32c_generic || fail "crc32c_generic"
	traddr=0.0.0.0
	;;
rdma)
	# soft-RoCE computes its ICRC with crc32: the provider must be there
	# before the link is added, or adding it fails.
	for m in crc32_generic rdma_rxe ib_uverbs rdma_ucm nvmet-rdma; do
		modprobe "$m" || fail "$m"
	done
	rdma link show rxe0 >/dev/null 2>&1 || rdma link add rxe0 type rxe netdev eth0 ||
		fail "soft-RoCE link on eth0 (is the guest NIC there: --hostfwd?)"
	# The rxe netdev's own address: the target listens on RDMA there.
	traddr=10.0.2.15
	;;
*) fail "NVMET_TRTYPE '$TRTYPE' is not tcp or rdma" ;;
esac
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config ||
	fail "configfs"

mkdir "$CFG/ports/1" || fail "port"
echo "$TRTYPE" >"$CFG/ports/1/addr_trtype"
echo ipv4 >"$CFG/ports/1/addr_adrfam"
echo "$traddr" >"$CFG/ports/1/addr_traddr"
echo 4420 >"$CFG/ports/1/addr_trsvcid"
i=0
for nqn in "$@"; do
	mkdir "$CFG/subsystems/$nqn" || fail "subsystem $nqn"
	echo 1 >"$CFG/subsystems/$nqn/attr_allow_any_host"
	mkdir "$CFG/subsystems/$nqn/namespaces/1" || fail "namespace of $nqn"
	printf %s "/dev/nullb$i" >"$CFG/subsystems/$nqn/namespaces/1/device_path"
	echo 1 >"$CFG/subsystems/$nqn/namespaces/1/enable" || fail "enable /dev/nullb$i"
	i=$((i + 1))
done

link() {
	for nqn in "$@"; do
		ln -s "$CFG/subsystems/$nqn" "$CFG/ports/1/subsystems/$nqn" || return 1
	done
}
unlink_all() {
	for l in "$CFG"/ports/1/subsystems/*; do
		[ -L "$l" ] && rm "$l"
	done
	return 0
}

# Namespace 2 of the first subsystem, on the spare device.
NS2=$CFG/subsystems/$1/namespaces/2
add_ns() {
	mkdir "$NS2" && printf %s "/dev/nullb$#" >"$NS2/device_path" && echo 1 >"$NS2/enable"
}
del_ns() {
	echo 0 >"$NS2/enable" && rmdir "$NS2"
}

link "$@" || fail "link"
# A check the host wants run from inside the guest, next to the target.
if [ -f "$JOB/guest_check.sh" ]; then
	sh "$JOB/guest_check.sh" >"$JOB/guest_check.log" 2>&1
	echo $? >"$JOB/guest_check.rc"
	[ "${NVMET_EXIT_AFTER_CHECK:-0}" = 1 ] && exit 0
fi
echo ready >"$JOB/target.ready"
while :; do
	if [ -f "$JOB/target.cmd" ]; then
		cmd=$(cat "$JOB/target.cmd")
		rm -f "$JOB/target.cmd"
		case $cmd in
		unlink) unlink_all ;;
		link) link "$@" ;;
		unlink-last)
			for nqn in "$@"; do :; done
			rm "$CFG/ports/1/subsystems/$nqn" || cmd="unlink-last failed"
			;;
		link-last)
			for nqn in "$@"; do :; done
			link "$nqn" || cmd="link-last failed"
			;;
		add-ns) add_ns "$@" || cmd="add-ns failed" ;;
		del-ns) del_ns || cmd="del-ns failed" ;;
		stop)
			echo stop >"$JOB/target.ack"
			exit 0
			;;
		poweroff)
			# At once, from the kernel: no socket is closed first.
			echo 1 >/proc/sys/kernel/sysrq
			echo o >/proc/sysrq-trigger
			;;
		esac
		echo "$cmd" >"$JOB/target.ack"
	fi
	sleep 0.2
done
