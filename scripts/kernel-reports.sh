#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own reports in a boot log: WARN and BUG, oopses, the
# sanitizers (KASAN, UBSAN, KFENCE), lockdep, RCU, might_sleep and
# preemption checks, hung tasks. The one list for every check that wants
# none of them (guest-check, check-hv, check-sanitize, soak).
# Usage: kernel-reports.sh LOG
#   prints the report lines (nothing if there are none); exit status 0,
#   2 if LOG cannot be read.
reports='WARNING:|BUG:|Oops|UBSAN:|KFENCE:|KASAN:|INFO: (lockdep is turned off|task .* blocked)'
reports+='|possible (circular|recursive) locking|inconsistent lock state|DEBUG_LOCKS_WARN_ON'
reports+='|suspicious RCU usage|sleeping function called from invalid context'
reports+='|using smp_processor_id\(\) in preemptible|rcu: INFO: .*stall'
grep -aE "$reports" "$1"
[ $? -le 1 ] || exit 2
