#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel under QEMU with KVM (-enable-kvm -cpu host): the VMM most
# users run, with QEMU's own minimal firmware (qboot: under nested KVM
# SeaBIOS misses APs and its MP table lists 1 CPU), as a case of
# cases.sh ("NAME @qemu-kvm.sh ARGS"), inside the L1 VM
# (busybox sh) or on a host with real VT-x/AMD-V. Prints the guest's
# serial output, then KVM's counters for the VM from KVM's debugfs
# (/sys/kernel/debug/kvm/PID-FD/, summed over the vCPUs by KVM):
#   qemu-kvm kvm stats: N VM exits, U to userspace (HOW), K handled inside KVM
#   qemu-kvm stats: S s       (QEMU's start to the guest's end, to 0.2 s)
# QEMU runs with -no-shutdown, so the VM still exists (and its counters
# can be read) once the guest has powered off.
# Exits to userspace are every return of KVM_RUN, counted by a histogram
# trigger on the kvm_userspace_exit tracepoint (else io+mmio exits).
# Exit status: 0 if the guest powered off or reset by itself, 71 if it
# was still running after TIMEOUT seconds, else 1 (QEMU failed, panic).
# Usage: qemu-kvm.sh CPUS MEM TIMEOUT KERNEL INITRD CMDLINE
[ $# -eq 6 ] || { echo "usage: qemu-kvm.sh CPUS MEM TIMEOUT KERNEL INITRD CMDLINE" >&2; exit 64; }
cpus=$1 mem=$2 timeout=$3 kernel=$4 initrd=$5 cmdline=$6
tmp=${TMPDIR:-/tmp}/qemu-kvm.$$
mkdir -p "$tmp"
con=$tmp/serial.log
: > "$con"
dbg=/sys/kernel/debug/kvm
[ -d "$dbg" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# Every return from KVM_RUN to QEMU: a histogram on kvm_userspace_exit.
ev=/sys/kernel/tracing/events/kvm/kvm_userspace_exit
[ -d "$ev" ] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hist=0
echo 'hist:keys=reason' > "$ev/trigger" 2>/dev/null && hist=1

t0=$(cut -d' ' -f1 /proc/uptime)
qemu-system-x86_64 -enable-kvm -cpu host -M pc -smp "$cpus" -m "$mem" \
	-bios /usr/share/qemu/qboot.rom \
	-nodefaults -vga none -display none -no-user-config -nic none \
	-no-reboot -no-shutdown -serial "file:$con" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" </dev/null &
pid=$!

# Wait for the guest's end (QEMU then stops the VM: -no-shutdown, and
# -no-reboot turns a reset into a shutdown), QEMU's end, or the timeout.
status=1 ended=0
end=$(( ${t0%.*} + timeout ))
while kill -0 $pid 2>/dev/null; do
	# (the log's end only: a console workload makes it megabytes)
	if tail -c 8192 "$con" |
	   grep -qE '^\[ *[0-9.]+\] (reboot: (Power down|Restarting system)|Kernel panic)'; then
		ended=1 t1=$(cut -d' ' -f1 /proc/uptime)
		sleep 1		# the power-off or reset itself, then the VM stops
		break
	fi
	now=$(cut -d' ' -f1 /proc/uptime)
	if [ "${now%.*}" -ge "$end" ]; then
		echo "qemu-kvm: guest still running after $timeout s, stopping it"
		kill -STOP $pid		# the log stops growing; the VM's counters stay
		status=71
		break
	fi
	sleep 0.2
done
[ $ended = 1 ] || t1=$(cut -d' ' -f1 /proc/uptime)
tr -d '\r' < "$con"
echo

vmdir=$(ls -d "$dbg/$pid"-* 2>/dev/null | head -1)
if [ -n "$vmdir" ] && [ -r "$vmdir/exits" ]; then
	all=$(cat "$vmdir/exits")
	if [ $hist = 1 ]; then
		user=$(sed -n 's/^ *Hits: *//p' "$ev/hist") how=kvm_userspace_exit
	else
		user=$(( $(cat "$vmdir/io_exits") + $(cat "$vmdir/mmio_exits") )) how="io+mmio exits"
	fi
	echo "qemu-kvm kvm stats: $all VM exits, $user to userspace ($how), $((all - user)) handled inside KVM"
	for f in "$vmdir"/*; do
		[ -f "$f" ] || continue
		v=$(cat "$f" 2>/dev/null) || continue
		case "$v" in '' | 0 | *[!0-9]*) continue ;; esac
		printf '  kvm %-26s %12s\n' "${f##*/}" "$v"
	done
else
	echo "qemu-kvm kvm stats: not available (no $dbg/$pid-*)"
fi
if [ $hist = 1 ]; then
	sed -n 's/^{ reason: *\([0-9]*\) } hitcount: *\([0-9]*\)$/  userspace exit reason \1 \2/p' "$ev/hist"
	echo '!hist:keys=reason' > "$ev/trigger"
fi
# SIGKILL: QEMU has nothing to save, and on SIGTERM it first stops its
# vCPUs, which a vCPU that never leaves KVM_RUN would block.
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
echo "qemu-kvm stats: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
[ $ended = 1 ] && ! grep -q 'Kernel panic' "$con" && status=0
rm -rf "$tmp"
exit $status
