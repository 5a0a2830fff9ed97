// SPDX-License-Identifier: GPL-2.0
/*
 * The pvx guest's init: checks what the kernel says about pvx, from the
 * inside, then reboots.
 *
 * Each check prints "PVX-CHECK: PASS|FAIL <name> [detail]"; the last line
 * is "PVX-RESULT: status=<number of failures>".  Kernel command line:
 *   pvx_expect=<backend>   the backend the boot line must name
 *   pvx_expect_pv=<ops>    the pv= list the boot line must show
 *   pvx_expect_steal=1     some CPU time must have been stolen (overcommit)
 *   pvx_poweroff=1         power off at the end instead of rebooting
 *   pvx_hibernate=1        first a hibernation cycle up to the core
 *                          (pm_test=core: syscore suspend and resume, a 5 s
 *                          wait between), after which the clock moves
 *   pvx_bench=1            instead of the checks, time boot-to-init and a
 *                          privileged-op-heavy loop (make bench-guest, under
 *                          QEMU -icount: 1 ns is one instruction)
 *   pvx_bench=boot         no checks: report boot-to-init and end at once
 *   pvx_bench=hv           no checks: the hypervisor workloads of make
 *                          bench-hv, each timed: IPI ping-pong, a TLB
 *                          shootdown storm, spinlock contention, idle
 *                          wake-ups, console output and clock reads
 *   pvx_bench_console_kb=N the console workload's size (default 1024)
 *   pvx_bench_only=<name>  with pvx_bench=hv: run that workload alone
 *   pvx_vdso=N             N clock_gettime(CLOCK_MONOTONIC) calls in a traced
 *                          child, which must make no clock_gettime system
 *                          call (the vDSO answers), then the clock must
 *                          not go back between two CPUs
 *   pvx_tlb_pv=1           the stale-TLB check must have left some flushes
 *                          to the host: fewer TLB shootdown IPIs reached
 *                          the other CPU than there were moves
 *   pvx_kexec=1            after the checks, kexec_file_load /kexec/bzImage
 *                          with /kexec/initrd and this command line with
 *                          pvx_kexec=2, and reboot into it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <linux/reboot.h>
#include <signal.h>
#include <unistd.h>

static int failures;
static char cmdline[4096];

static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("PVX-CHECK: %s %s", ok ? "PASS" : "FAIL", name);
	if (fmt) {
		printf(" -- ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

/* The value of key= on the kernel command line (a new string), or NULL. */
static const char *param(const char *key)
{
	char val[512];
	const char *p = cmdline;
	size_t kl = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == cmdline || p[-1] == ' ') && p[kl] == '=') {
			sscanf(p + kl + 1, "%511s", val);
			return strdup(val);
		}
		p += kl;
	}
	return NULL;
}

struct pvx_line {
	char backend[32], transport[32], pv[512], native[512];
	unsigned int major, minor;
	unsigned long long features;
};

static int parse_line(const char *s, struct pvx_line *l)
{
	s = strstr(s, "backend=");
	if (!s)
		return -1;
	return sscanf(s, "backend=%31s abi=%u.%u transport=%31s features=%llx pv=%511s native=%511s",
		      l->backend, &l->major, &l->minor, l->transport, &l->features,
		      l->pv, l->native) == 7 ? 0 : -1;
}

static unsigned int count_items(const char *list)
{
	unsigned int n = 1;

	if (!strcmp(list, "none"))
		return 0;
	for (; *list; list++)
		n += *list == ',';
	return n;
}

static unsigned int count_lines(const char *buf, const char *word)
{
	unsigned int n = 0;
	const char *p;

	for (p = buf; (p = strchr(p, '\n')); p++)
		n++;
	if (!word)
		return n;
	for (n = 0, p = buf; (p = strstr(p, word)); p++)
		n++;
	return n;
}

static void check_boot_line(void)
{
	static char log[1 << 20], ops[8192];
	const char *expect = param("pvx_expect"), *expect_pv = param("pvx_expect_pv");
	struct pvx_line l = { 0 }, d = { 0 };
	char status[1024];
	int len;
	char *line;

	len = klogctl(3, log, sizeof(log) - 1);	/* SYSLOG_ACTION_READ_ALL */
	log[len > 0 ? len : 0] = 0;
	line = strstr(log, "pvx: backend=");
	check(line && !parse_line(line, &l), "boot_line", line ? "%.*s" : NULL,
	      line ? (int)strcspn(line, "\n") : 0, line);
	if (!line)
		return;
	if (expect)
		check(!strcmp(l.backend, expect), "backend", "%s, expected %s",
		      l.backend, expect);
	if (expect_pv)
		check(!strcmp(l.pv, expect_pv), "pv_ops", "pv=%s, expected %s",
		      l.pv, expect_pv);
	len = read_file("/sys/kernel/debug/pvx/status", status, sizeof(status));
	check(len > 0 && !parse_line(status, &d) && !memcmp(&d, &l, sizeof(d)),
	      "debugfs_status", "%.*s", (int)strcspn(status, "\n"), status);
	check(strstr(status, "\nabi_headers=1.") != NULL, "abi_headers",
	      "%s", strstr(status, "abi_headers=") ?: "missing");
	read_file("/sys/kernel/debug/pvx/ops", ops, sizeof(ops));
	check(count_lines(ops, NULL) == count_items(l.pv) + count_items(l.native) &&
	      count_lines(ops, " pv\n") == count_items(l.pv), "debugfs_ops",
	      "%u ops, %u pv", count_lines(ops, NULL), count_lines(ops, " pv\n"));
}

/* Steal time, the 8th field of /proc/stat's "cpu" line, in USER_HZ ticks. */
static void check_steal(void)
{
	char stat[4096];
	unsigned long long v[8] = { 0 };
	int n = 0;

	if (read_file("/proc/stat", stat, sizeof(stat)) > 0)
		n = sscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	check(n == 8 && v[7] > 0, "steal_time", "%llu ticks stolen", v[7]);
}

static unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret = -1;

	if (fd >= 0) {
		ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
		close(fd);
	}
	return ret;
}

/*
 * Hibernation as far as the core: processes frozen, secondary CPUs down,
 * syscore suspend, pm_test's 5 s wait, syscore resume.  CLOCK_MONOTONIC
 * stops while timekeeping is suspended (CLOCK_BOOTTIME counts that time,
 * where the kernel can measure it); afterwards the clock moves as
 * before: a 200 ms sleep takes 200 ms, neither frozen nor jumping.
 */
static void check_hibernate(void)
{
	unsigned long long b0 = now_ns(CLOCK_BOOTTIME), t0, ms, slept;
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	int ret;

	ret = write_file("/sys/power/pm_test", "core");
	if (!ret)
		ret = write_file("/sys/power/state", "disk");
	ms = (now_ns(CLOCK_BOOTTIME) - b0) / 1000000;
	check(!ret, "hibernate_core", "pm_test=core, state=disk: %s, %llu ms of CLOCK_BOOTTIME",
	      ret ? strerror(errno) : "suspended and resumed", ms);
	t0 = now_ns(CLOCK_MONOTONIC);
	nanosleep(&nap, NULL);
	slept = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	check(!ret && slept >= 200 && slept < 5000, "hibernate_clock",
	      "a 200 ms sleep after resume took %llu ms of CLOCK_MONOTONIC", slept);
}

/*
 * Syscalls, page faults (each with irq save/restore in the kernel) and
 * context switches through a pipe between two processes.
 */
static void bench_loop(void)
{
	enum { ROUNDS = 2000, PAGES = 16 };
	int up[2], down[2], i, j;
	unsigned long long t0;
	char c = 0, *p;
	pid_t pid;

	if (pipe(up) || pipe(down))
		return;
	pid = fork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		while (read(down[0], &c, 1) == 1 && write(up[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < ROUNDS; i++) {
		syscall(SYS_getppid);
		p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (j = 0; p != MAP_FAILED && j < PAGES; j++)
			p[j * 4096] = 1;
		if (p != MAP_FAILED)
			munmap(p, PAGES * 4096);
		if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1)
			break;
	}
	printf("PVX-BENCH: loop_ns=%llu rounds=%d\n", now_ns(CLOCK_MONOTONIC) - t0, i);
	close(down[1]);
	waitpid(pid, NULL, 0);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A stale TLB entry: CPU 1 keeps reading a page through one address while
 * CPU 0 moves another page there (mremap); once mremap() has returned,
 * CPU 1 must see the new page: the kernel flushed CPU 1's TLB
 * (flush_tlb_multi).  Anonymous pages 'A' and 'B'; TLB_ROUNDS rounds.
 */
static volatile char *tlb_addr;
#define TLB_ROUNDS	64
/* round r: phase 2r-1 while page 'A' is mapped, 2r once 'B' is; -1: stop */
static atomic_int tlb_phase, tlb_seen, tlb_stale;

static void *tlb_reader(void *arg)
{
	int r, ph;

	(void)arg;
	pin(1);
	for (r = 1; r <= TLB_ROUNDS; r++) {
		while ((ph = atomic_load(&tlb_phase)) != 2 * r - 1)
			if (ph < 0)
				return NULL;
		while (tlb_addr[0] != 'A')	/* the old page, now cached */
			;
		atomic_store(&tlb_seen, 2 * r - 1);
		while ((ph = atomic_load(&tlb_phase)) == 2 * r - 1)
			(void)tlb_addr[0];
		if (ph < 0)
			return NULL;
		/* moved: the new page, never the cached old one */
		if (tlb_addr[0] != 'B')
			atomic_fetch_add(&tlb_stale, 1);
		atomic_store(&tlb_seen, 2 * r);
	}
	return NULL;
}

/* The TLB shootdown IPIs CPU @cpu took so far: /proc/interrupts' "TLB:" row. */
static long tlb_ipis(int cpu)
{
	static char buf[1 << 16];
	const char *p;
	long n = -1;
	int i;

	read_file("/proc/interrupts", buf, sizeof(buf));
	p = strstr(buf, "TLB:");
	for (i = 0, p = p ? p + 4 : NULL; p && i <= cpu; i++)
		n = strtol(p, (char **)&p, 10);
	return n;
}

static void check_tlb_shootdown(void)
{
	int prot = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	long ipis = tlb_ipis(1);
	int r, done = 0;
	pthread_t t;
	char *p, *b;

	p = mmap(NULL, 4096, prot, anon, -1, 0);
	if (p == MAP_FAILED || pthread_create(&t, NULL, tlb_reader, NULL)) {
		check(0, "tlb_shootdown", "mmap or thread: %m");
		return;
	}
	tlb_addr = p;
	pin(0);
	for (r = 1; r <= TLB_ROUNDS; r++) {
		if (mmap(p, 4096, prot, anon | MAP_FIXED, -1, 0) != p)
			break;
		p[0] = 'A';
		b = mmap(NULL, 4096, prot, anon, -1, 0);
		if (b == MAP_FAILED)
			break;
		b[0] = 'B';
		atomic_store(&tlb_phase, 2 * r - 1);
		while (atomic_load(&tlb_seen) != 2 * r - 1)
			;
		if (mremap(b, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, p) != p)
			break;
		atomic_store(&tlb_phase, 2 * r);
		while (atomic_load(&tlb_seen) != 2 * r)
			;
		done++;
	}
	atomic_store(&tlb_phase, -1);
	pthread_join(t, NULL);
	ipis = tlb_ipis(1) - ipis;
	check(done == TLB_ROUNDS && !atomic_load(&tlb_stale), "tlb_shootdown",
	      "%d of %d moves, %d stale reads on the other CPU, which took %ld TLB IPIs",
	      done, TLB_ROUNDS, atomic_load(&tlb_stale), ipis);
	if (param("pvx_tlb_pv"))
		check(ipis >= 0 && ipis < done, "tlb_flush_by_host",
		      "%ld TLB IPIs for %d moves: the others were flushed by the host", ipis, done);
	munmap(p, 4096);
}

static void bench_report(const char *name, unsigned long long t0, int rounds)
{
	printf("PVX-BENCH: %s_ns=%llu rounds=%d\n", name, now_ns(CLOCK_MONOTONIC) - t0, rounds);
	fflush(stdout);
}

/* IPI ping-pong: CPU 0 and CPU 1 wake each other through two pipes. */
static int ping[2], pong[2];

static void *ponger(void *arg)
{
	char c;

	(void)arg;
	pin(1);
	while (read(ping[0], &c, 1) == 1 && write(pong[1], &c, 1) == 1)
		;
	return NULL;
}

static void bench_ipi(int rounds)
{
	unsigned long long t0;
	pthread_t t;
	char c = 0;
	int i;

	if (pipe(ping) || pipe(pong) || pthread_create(&t, NULL, ponger, NULL))
		return;
	pin(0);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			break;
	bench_report("ipi", t0, i);
	close(ping[1]);
	pthread_join(t, NULL);
}

/*
 * TLB shootdowns: a thread of this mm spins on CPU 1, so every munmap on
 * CPU 0 flushes CPU 1's TLB (flush_tlb_multi).
 */
static atomic_int spin_stop;

static void *spinner(void *arg)
{
	pin((int)(long)arg);
	while (!atomic_load(&spin_stop))
		;
	return NULL;
}

static void bench_tlb(int rounds)
{
	unsigned long long t0;
	pthread_t t;
	char *p;
	int i;

	atomic_store(&spin_stop, 0);
	if (pthread_create(&t, NULL, spinner, (void *)1L))
		return;
	pin(0);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < rounds; i++) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		p[0] = 1;
		munmap(p, 4096);
	}
	bench_report("tlb", t0, i);
	atomic_store(&spin_stop, 1);
	pthread_join(t, NULL);
}

/*
 * Spinlock contention: a thread on every CPU wakes the same futex, so
 * all of them take the same futex hash bucket's spinlock in the kernel.
 */
static int futex_word;
static int lock_rounds;

static void *waker(void *arg)
{
	pin((int)(long)arg);
	for (int i = 0; i < lock_rounds; i++)
		syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	return NULL;
}

static void bench_lock(int rounds)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), i;
	pthread_t t[64];
	unsigned long long t0;

	if (n > 64)
		n = 64;
	lock_rounds = rounds;
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, waker, (void *)i))
			break;
	while (i--)
		pthread_join(t[i], NULL);
	bench_report("lock", t0, rounds * (int)n);
}

/* Idle wake-ups: sleep 200 us, over and over (HLT, then a timer). */
static void bench_idle(int rounds)
{
	struct timespec ts = { 0, 200000 };
	unsigned long long t0;
	int i;

	pin(0);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < rounds; i++)
		nanosleep(&ts, NULL);
	bench_report("idle", t0, i);
}

/* The clock: N clock_gettime(CLOCK_MONOTONIC) calls (the vDSO, or not). */
static void bench_clock(int rounds)
{
	unsigned long long t0;
	int i;

	pin(0);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < rounds; i++)
		now_ns(CLOCK_MONOTONIC);
	bench_report("clock", t0, i);
}

/* Console output: N KiB in 64-byte lines, on the init's stdout. */
static void bench_console(int kb)
{
	char line[65];
	unsigned long long t0;
	int i;

	memset(line, 'x', 63);
	line[63] = '\n';
	line[64] = 0;
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < kb * 16; i++)
		if (write(1, line, 64) != 64)
			break;
	bench_report("console", t0, i);
}

/* Run workload name unless only names another one; count what runs. */
static bool bench_wanted(const char *only, const char *name, int *ran)
{
	if (only && strcmp(only, name))
		return false;
	(*ran)++;
	return true;
}

static void bench_hv(void)
{
	const char *kb = param("pvx_bench_console_kb");
	const char *only = param("pvx_bench_only");
	int ran = 0;

	if (bench_wanted(only, "ipi", &ran))
		bench_ipi(2000);
	if (bench_wanted(only, "tlb", &ran))
		bench_tlb(2000);
	if (bench_wanted(only, "lock", &ran))
		bench_lock(20000);
	if (bench_wanted(only, "idle", &ran))
		bench_idle(2000);
	if (bench_wanted(only, "console", &ran))
		bench_console(kb ? atoi(kb) : 1024);
	if (bench_wanted(only, "clock", &ran))
		bench_clock(200000);
	if (!ran)
		printf("PVX-BENCH: no workload named %s\n", only);
}

/*
 * N clock_gettime(CLOCK_MONOTONIC) calls in a child this process traces
 * (PTRACE_SYSCALL): every system call stops it twice, at entry and exit,
 * so the calls that reach the kernel are counted exactly; the vDSO's make
 * none.  The child also checks its own readings never go back.
 */
static void check_vdso_calls(long n)
{
	struct user_regs_struct regs;
	long calls = 0, stops = 0, i;
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		unsigned long long last = 0, t;
		int back = 0;

		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		for (i = 0; i < n; i++) {
			t = now_ns(CLOCK_MONOTONIC);
			back += t < last;
			last = t;
		}
		_exit(back ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		check(0, "vdso_calls", "cannot start the traced child: %m");
		return;
	}
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) || waitpid(pid, &status, 0) != pid)
			break;
		if (!WIFSTOPPED(status))
			break;
		stops++;
		if (!ptrace(PTRACE_GETREGS, pid, NULL, &regs) &&
		    regs.orig_rax == SYS_clock_gettime)
			calls++;
	}
	check(WIFEXITED(status) && !WEXITSTATUS(status) && calls == 0 && stops > 0, "vdso_calls",
	      "%ld clock_gettime calls: %ld system calls among %ld syscall stops, %s",
	      n, calls / 2, stops, WIFEXITED(status) && !WEXITSTATUS(status) ?
	      "monotonic" : "the clock went back (or the child died)");
}

/* Two CPUs read CLOCK_MONOTONIC in turn: none may see the other's past. */
static atomic_ullong mono_last;
static atomic_int mono_back;
#define MONO_READS	200000

static void *mono_reader(void *arg)
{
	unsigned long long prev, t;
	int i;

	pin((int)(long)arg);
	for (i = 0; i < MONO_READS; i++) {
		prev = atomic_load(&mono_last);
		t = now_ns(CLOCK_MONOTONIC);
		if (t < prev)
			atomic_fetch_add(&mono_back, 1);
		while (prev < t && !atomic_compare_exchange_weak(&mono_last, &prev, t))
			;
	}
	return NULL;
}

static void check_vdso(void)
{
	char cs[64] = "";
	pthread_t t;

	read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", cs, sizeof(cs));
	cs[strcspn(cs, "\n")] = 0;
	printf("PVX-INIT: clocksource %s\n", cs);
	check_vdso_calls(atol(param("pvx_vdso")));
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	if (pthread_create(&t, NULL, mono_reader, (void *)1L)) {
		check(0, "clock_monotonic_cpus", "thread: %m");
		return;
	}
	mono_reader((void *)0L);
	pthread_join(t, NULL);
	check(!atomic_load(&mono_back), "clock_monotonic_cpus",
	      "%d of %d reads on CPUs 0 and 1 went back", atomic_load(&mono_back), 2 * MONO_READS);
}

/*
 * Load /kexec/bzImage and /kexec/initrd with this command line, its
 * pvx_kexec=1 made pvx_kexec=2, and reboot into it.  Returns only on
 * failure.
 */
static void kexec_again(void)
{
	char next[sizeof(cmdline)], *p;
	int kfd, ifd;

	snprintf(next, sizeof(next), "%.*s", (int)strcspn(cmdline, "\n"), cmdline);
	p = strstr(next, "pvx_kexec=1");
	if (p)
		p[strlen("pvx_kexec=")] = '2';
	kfd = open("/kexec/bzImage", O_RDONLY);
	ifd = open("/kexec/initrd", O_RDONLY);
	if (kfd < 0 || ifd < 0 || syscall(SYS_kexec_file_load, kfd, ifd, strlen(next) + 1, next, 0)) {
		check(0, "kexec_load", "kexec_file_load /kexec/bzImage: %m");
		return;
	}
	printf("PVX-INIT: kexec into /kexec/bzImage\n");
	fflush(stdout);
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	check(0, "kexec_reboot", "reboot(LINUX_REBOOT_CMD_KEXEC): %m");
}

int main(void)
{
	unsigned long long boot_ns = now_ns(CLOCK_BOOTTIME);

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	/*
	 * With console=pvx0 (a console without a tty) the kernel had no
	 * /dev/console to give us: report through the kernel log instead.
	 */
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/kmsg", O_WRONLY);

		if (fd >= 0 && fd != 1)
			dup2(fd, 1);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}

	printf("PVX-INIT: started\n");
	if (param("pvx_bench")) {
		const char *what = param("pvx_bench");

		printf("PVX-BENCH: boot_ns=%llu\n", boot_ns);
		if (!strcmp(what, "hv"))
			bench_hv();
		else if (strcmp(what, "boot"))
			bench_loop();
	} else {
		if (param("pvx_hibernate"))
			check_hibernate();
		check_boot_line();
		if (param("pvx_expect_steal"))
			check_steal();
		if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
			check_tlb_shootdown();
		if (param("pvx_vdso"))
			check_vdso();
	}

	printf("PVX-RESULT: status=%d\n", failures);
	fflush(stdout);
	if (param("pvx_kexec") && !strcmp(param("pvx_kexec"), "1") && !failures)
		kexec_again();
	sync();
	reboot(param("pvx_poweroff") ? RB_POWER_OFF : RB_AUTOBOOT);
	return 0;
}
