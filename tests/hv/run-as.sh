#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-hv: pvx-hv as a careless or impatient caller runs it, for the
# case "NAME @run-as.sh MODE ARGS..." (scripts/l1/cases.sh; busybox sh):
#   stall      stdout a pipe that nobody reads
#   closed     stdout a pipe whose reader leaves after 4 KiB
#   fd-closed  no stdout at all (>&-); says what pvx-hv's fd 1 is after 1 s
#              (/dev/null: a file opened later must not take it)
#   sigint     SIGINT 3 s after the start
# Prints pvx-hv's stderr and "run-as: MODE: status N"; exits with
# pvx-hv's status. A pvx-hv that hangs is killed after 60 s (status 137).
# Env: PVX_HV, the pvx-hv binary.
mode=$1
shift
hv=${PVX_HV:?}
t=/tmp/run-as.$$
mkdir -p "$t"
case $mode in
stall)
	mkfifo "$t/fifo"
	exec 3<>"$t/fifo"	# read-write: the open does not wait for a reader
	timeout -s KILL 60 "$hv" "$@" >&3
	rc=$?
	exec 3>&- ;;
closed)
	mkfifo "$t/fifo"
	head -c 4096 "$t/fifo" > /dev/null &
	timeout -s KILL 60 "$hv" "$@" > "$t/fifo"
	rc=$? ;;
fd-closed)	# (its own --timeout bounds it)
	"$hv" "$@" >&- &
	pid=$!
	sleep 1
	echo "run-as: fd-closed: fd 1 is $(readlink "/proc/$pid/fd/1" 2>/dev/null || echo gone)"
	wait "$pid"
	rc=$? ;;
sigint)
	"$hv" "$@" > /dev/null &
	pid=$!
	sleep 3
	kill -INT "$pid"
	wait "$pid"
	rc=$? ;;
*)
	echo "run-as: unknown mode $mode"
	rc=2 ;;
esac
echo "run-as: $mode: status $rc"
rm -rf "$t"
exit $rc
