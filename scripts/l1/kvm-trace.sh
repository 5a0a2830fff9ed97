#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run pvx-hv with KVM's tracepoints on, then print what KVM saw, counted:
# VM exits by reason, MMIO by guest-physical address, MSR accesses by
# index, CPUID by leaf, and the instructions KVM emulated by guest RIP
# (look those up in the guest's System.map).  pvx-hv's --stats count the
# same exits by number only; this says where they come from.
# A case "NAME @kvm-trace.sh ARGS..." of scripts/l1/cases.sh runs it;
# make boot-hv TRACE=1 does.  Needs root and tracefs (the L1 VM has both).
# The events go to a trace instance of this script's own, removed at the
# end, so a host's own tracing is left as it was.
# Usage: kvm-trace.sh PVX-HV-ARGS...   (env: PVX_HV, the pvx-hv binary)
events="kvm_exit kvm_mmio kvm_msr kvm_cpuid kvm_emulate_insn"
t=/sys/kernel/tracing
[ -d $t/instances ] || mount -t tracefs nodev $t 2>/dev/null
i=$t/instances/pvx-kvm-trace.$$
if ! mkdir $i 2>/dev/null || [ ! -d $i/events/kvm ]; then
	[ -d $i ] && rmdir $i
	echo "kvm-trace: no trace instance with KVM's events under $t; running pvx-hv untraced"
	exec "$PVX_HV" "$@"
fi
echo 65536 > $i/buffer_size_kb
for e in $events; do
	echo 1 > $i/events/kvm/$e/enable
done
"$PVX_HV" "$@"
rc=$?
echo 0 > $i/tracing_on
for e in $events; do
	echo 0 > $i/events/kvm/$e/enable
done
f=${TMPDIR:-/tmp}/kvm-trace.$$
mkdir -p "${f%/*}"
cat $i/trace > "$f"
rmdir $i

# count TITLE REGEX FIELDS: the trace lines matching REGEX, counted by
# the awk FIELDS of the match, most frequent first.
count() {
	echo "kvm-trace: $1"
	grep -o "$2" "$f" | awk "{ print $3 }" | sort | uniq -c | sort -rn | head -25
}
count "VM exits by reason" 'kvm_exit: vcpu [0-9]* reason [A-Za-z_0-9]*' '$5'
count "MMIO by access and address" 'kvm_mmio: mmio [a-z]* len [0-9]* gpa 0x[0-9a-f]*' '$3, $7'
count "MSR accesses by index" 'kvm_msr: msr_[a-z]* [0-9a-f]*' '$2, $3'
count "CPUID by leaf" 'kvm_cpuid: func [0-9a-f]*' '$3'
echo "kvm-trace: CPUID leaves 0x40000000-0x4000ffff (hypervisor scans):" \
	"$(grep -c 'kvm_cpuid: func 4000[0-9a-f]\{4\} ' "$f")"
count "emulated instructions by guest RIP" 'kvm_emulate_insn: [0-9a-f]*:[0-9a-f]*' '$2'
grep -m1 'entries-in-buffer' "$f" | sed 's/^#/kvm-trace:/'
rm -f "$f"
exit $rc
