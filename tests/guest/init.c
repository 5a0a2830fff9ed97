// SPDX-License-Identifier: GPL-2.0
/*
 * The pvx guest's init: checks what the kernel says about pvx, from the
 * inside, then reboots.
 *
 * Each check prints "PVX-CHECK: PASS|FAIL <name> [detail]"; the last line
 * is "PVX-RESULT: status=<number of failures>".  Kernel command line:
 *   pvx_expect=<backend>   the backend the boot line must name
 *   pvx_expect_pv=<ops>    the pv= list the boot line must show
 *   pvx_poweroff=1         power off at the end instead of rebooting
 *   pvx_bench=1            instead of the checks, time boot-to-init and a
 *                          privileged-op-heavy loop (make bench-guest, under
 *                          QEMU -icount: 1 ns is one instruction)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
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
		printf("PVX-BENCH: boot_ns=%llu\n", boot_ns);
		bench_loop();
	} else {
		check_boot_line();
	}

	printf("PVX-RESULT: status=%d\n", failures);
	fflush(stdout);
	sync();
	reboot(param("pvx_poweroff") ? RB_POWER_OFF : RB_AUTOBOOT);
	return 0;
}
