#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a list of pvx-hv cases where a usable KVM is:
#  - on a host with real VT-x/AMD-V (and no PVM-backed kvm): directly;
#  - otherwise inside an L1 VM: QEMU TCG -cpu max (SVM+NPT), Debian's
#    linux-image-6.12 with kvm-amd, and an initramfs holding busybox,
#    pvx-hv, the payload and an /init that runs the cases (scripts/l1/init).
# Output of every case goes to OUTDIR/NAME.log, its exit status to
# OUTDIR/NAME.rc ("hung" if the L1 VM wedged or ran out of L1_TIMEOUT
# inside it twice, "l1-died" if the VM ended otherwise; see below); the
# whole console to OUTDIR/console.log, L1's own kernel log to
# OUTDIR/l1-kernel.N.log (N: the VM).
#
# Usage: run-cases.sh [-v] OUTDIR CASEFILE PVX_HV [NAME=FILE...]
#   -v  also stream the console to stdout
#   Each FILE is available to the cases as $HV/NAME.
# Env: PVX_L1=1 forces the L1 VM, PVX_L1=0 the host's /dev/kvm;
#      L1_MEM (MiB, default 2048), L1_SMP (default 1), L1_TIMEOUT (s, default 1200),
#      L1_STALL (s without L1's heartbeat, default 90), L1_VMS (default 8).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
[ $# -ge 3 ] || { sed -n 's/^# \{0,1\}//;/^Usage/,/^Env/p' "$0" >&2; exit 2; }
out=$1 casefile=$2 pvx_hv=$3
shift 3
l1=$top/build/l1

real_kvm() {
	grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] && [ -w /dev/kvm ]
}
mode=${PVX_L1:-}
[ -z "$mode" ] && { real_kvm && mode=0 || mode=1; }

# The payload: cases, the runner, pvx-hv and the files named on the command line.
stage=$l1/stage
rm -rf "$stage"
mkdir -p "$stage/hv" "$out"
rm -f "$out"/*.log "$out"/*.rc "$out/cases.todo"
cp "$here/cases.sh" "$here/qemu-kvm.sh" "$here/kvm-trace.sh" "$stage/hv/"
cp "$casefile" "$stage/hv/cases"
cp "$pvx_hv" "$stage/hv/pvx-hv"
for nf in "$@"; do
	cp "${nf#*=}" "$stage/hv/${nf%%=*}"
done

log=$out/console.log
: > "$log"
show() { if [ $verbose = 1 ]; then tee -a "$log"; else cat >> "$log"; fi; }

if [ "$mode" = 0 ]; then
	echo "run-cases: real VT-x/AMD-V here: pvx-hv on the host's /dev/kvm" | show
	HV=$stage/hv PVX_HV=$stage/hv/pvx-hv sh "$here/cases.sh" "$stage/hv/cases" 2>&1 | show
else
	"$here/fetch.sh" "$l1"
	mkdir -p "$stage/bin" "$stage/lib/modules" "$stage/proc" "$stage/sys" "$stage/dev"
	cp /bin/busybox "$stage/bin/busybox"
	cp "$l1"/modules/*.ko "$stage/lib/modules/"
	cp "$here/init" "$stage/init"
	# Dynamically linked payloads (a sanitized pvx-hv): their libraries.
	# (No grep -q on ldd's output: under pipefail its early exit can fail
	# ldd with SIGPIPE and skip the file.)
	for f in "$stage"/hv/*; do
		deps=$(ldd "$f" 2>/dev/null) || continue	# static, or a script
		for l in $(grep -o '/[^ ]*' <<<"$deps"); do
			mkdir -p "$stage$(dirname "$l")"
			cp -L "$l" "$stage$l"
		done
	done
	# "@qemu" cases: this host's QEMU, its libraries and the firmware
	# a -kernel boot of the pc machine loads, at their own paths.
	if grep -q '^[^#][^ ]* @qemu-kvm.sh ' "$casefile"; then
		q=$(command -v qemu-system-x86_64)
		for f in "$q" $(ldd "$q" | grep -o '/[^ ]*') \
			 /usr/share/qemu/qboot.rom /usr/share/qemu/linuxboot_dma.bin \
			 /usr/share/qemu/kvmvapic.bin; do
			mkdir -p "$stage$(dirname "$f")"
			cp -L "$f" "$stage$f"
		done
		ln -sf "$q" "$stage/bin/qemu-system-x86_64"
	fi
	chmod +x "$stage/init"
	# One L1 VM runs the cases; its own kernel log goes to a second port
	# (OUTDIR/l1-kernel.N.log), where its /init also writes a heartbeat
	# every 10 s. A VM with no heartbeat for L1_STALL (default 90) s is
	# wedged (seen: QEMU TCG stuck inside a nested guest) and is stopped.
	# If the VM ends inside a case (wedged or out of L1_TIMEOUT: "hung";
	# an L1 panic: "l1-died"), the cases after it run in a new L1 VM; a
	# hung case first runs once more, and only its second result counts.
	# At most L1_VMS (default 8) L1 VMs in all: with some 70 cases, a
	# wedge every 20 or so is what this machine has shown.
	max_vms=${L1_VMS:-8}
	todo=$casefile ended_cases= retried= round=1
	while :; do
		cp "$todo" "$stage/hv/cases"
		(cd "$stage" && find . | cpio -o -H newc --quiet) > "$l1/initramfs.cpio"
		echo "run-cases: L1 VM (QEMU TCG -cpu max, $(basename "$l1"/linux-image-*.deb .deb))" | show
		t0=$(date +%s)
		mark=$(wc -l < "$log")
		klog=$out/l1-kernel.$round.log
		rm -f "$l1/l1.stalled" "$l1/l1.tpid" "$l1/l1.status"
		{ timeout --foreground -k 10 "${L1_TIMEOUT:-1200}" \
			qemu-system-x86_64 -accel tcg -cpu max -m "${L1_MEM:-2048}" -smp "${L1_SMP:-1}" \
			-nodefaults -display none -no-reboot \
			-serial stdio -serial "file:$klog" \
			-kernel "$l1/vmlinuz" -initrd "$l1/initramfs.cpio" \
			-append "console=ttyS1 quiet loglevel=4 panic=-1 mitigations=off" \
			</dev/null 2>&1 &
		  echo $! > "$l1/l1.tpid"
		  wait $! && echo 0 > "$l1/l1.status" || echo $? > "$l1/l1.status"
		} | tr -d '\r' | show &
		vm=$!
		while kill -0 $vm 2>/dev/null; do
			sleep 5
			[ -f "$klog" ] || continue
			if [ $(( $(date +%s) - $(stat -c %Y "$klog") )) -gt "${L1_STALL:-90}" ]; then
				touch "$l1/l1.stalled"
				kill -TERM "$(cat "$l1/l1.tpid")" 2>/dev/null || true
				break
			fi
		done
		wait $vm || true
		t=$(( $(date +%s) - t0 )) st=$(cat "$l1/l1.status" 2>/dev/null || echo unknown)
		echo "run-cases: L1 VM ran ${t}s, status $st" | show
		# The last case this VM began, if it never ended.
		hung=$(tail -n +"$((mark + 1))" "$log" | awk '
			/^=== PVX-HV-BEGIN / { name = $3 }
			/^=== PVX-HV-END / { name = "" }
			END { print name }')
		[ -n "$hung" ] || break
		if [ -f "$l1/l1.stalled" ]; then
			why=hung what="stopped (no heartbeat for ${L1_STALL:-90} s)"
		elif [ "$st" = 124 ] || [ "$st" = 137 ]; then
			why=hung what="ran out of L1_TIMEOUT (${L1_TIMEOUT:-1200} s)"
		else
			why=l1-died what="ended (status $st)"
		fi
		echo "run-cases: the L1 VM $what in case $hung; its last lines:" | show
		tail -n +"$((mark + 1))" "$log" |
			awk -v n="$hung" '$1 == "===" && $3 == n { on = 1; next } on && !/^run-cases: /' |
			tail -n 20 | sed 's/^/run-cases:   /' | show
		echo "run-cases: the last lines of L1's kernel log ($klog):" | show
		{ grep -v '^PVX-L1: alive' "$klog" || true; } | tail -n 10 | tr -d '\r' |
			sed 's/^/run-cases:   /' | show
		if [ $why = hung ] && [[ " $retried " != *" $hung "* ]]; then
			retried+=" $hung"
			awk -v n="$hung" '$1 == n { on = 1 } on' "$todo" > "$out/cases.todo.new"
			next="$hung, once more, and the cases after it"
		else
			ended_cases+=" $hung=$why"
			awk -v n="$hung" 'on; $1 == n { on = 1 }' "$todo" > "$out/cases.todo.new"
			next="the cases after $hung"
		fi
		mv "$out/cases.todo.new" "$out/cases.todo"
		todo=$out/cases.todo
		[ -s "$todo" ] && [ $round -lt $max_vms ] || break
		round=$((round + 1))
		echo "run-cases: $next: L1 VM $round of at most $max_vms" | show
	done
fi

# Split the console into per-case logs and statuses.  A case run once
# more keeps only its last run (close() first, so that ">" truncates
# again); console.log keeps both.
awk -v out="$out" '
	/^=== PVX-HV-BEGIN / { name = $3; f = out "/" name ".log"; close(f); printf "" > f; next }
	/^run-cases: / { name = ""; next }
	/^=== PVX-HV-END / {
		sub(/^rc=/, "", $4); print $4 > (out "/" name ".rc"); close(f); close(out "/" name ".rc"); name = ""; next
	}
	name != "" { print >> f }
' "$log"
for nw in ${ended_cases:-}; do
	echo "${nw#*=}" > "$out/${nw%%=*}.rc"
done
