// SPDX-License-Identifier: GPL-2.0
/*
 * The pvx guest's init: checks what the kernel says about pvx, from the
 * inside, then reboots.
 *
 * Each check prints "PVX-CHECK: PASS|FAIL <name> [detail]"; the last line
 * is "PVX-RESULT: status=<number of failures>".  Kernel command line:
 *   pvx_expect=<backend>   the backend the boot line must name
 *   pvx_module=1           also load /pvx_kunit.ko (the KUnit suites built
 *                          out of tree) and check its sites were patched
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
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

static const char *param(const char *key)
{
	static char val[64];
	const char *p = cmdline;
	size_t kl = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == cmdline || p[-1] == ' ') && p[kl] == '=') {
			sscanf(p + kl + 1, "%63s", val);
			return val;
		}
		p += kl;
	}
	return NULL;
}

struct pvx_line {
	char backend[32];
	unsigned int major, minor, sites, inl, direct, nop, unpatched;
	unsigned long time_us;
};

static int parse_line(const char *s, struct pvx_line *l)
{
	s = strstr(s, "backend=");
	if (!s)
		return -1;
	return sscanf(s, "backend=%31s abi=%u.%u sites=%u inline=%u direct=%u nop=%u unpatched=%u time_us=%lu",
		      l->backend, &l->major, &l->minor, &l->sites, &l->inl,
		      &l->direct, &l->nop, &l->unpatched, &l->time_us) == 9 ? 0 : -1;
}

static unsigned int count_sites(const char *state, unsigned int *total)
{
	static char buf[1 << 20];
	unsigned int n = 0;
	char *p;

	*total = 0;
	if (!read_file("/sys/kernel/debug/pvx/sites", buf, sizeof(buf)))
		return 0;
	for (p = buf; (p = strchr(p, '\n')); p++)
		(*total)++;
	for (p = buf; (p = strstr(p, state)); p++)
		n++;
	return n;
}

static void check_boot_line(void)
{
	static char log[1 << 20];
	const char *expect = param("pvx_expect");
	struct pvx_line l = { 0 }, d = { 0 };
	char status[256];
	unsigned int total, unpatched;
	int len;
	char *line;

	len = klogctl(3, log, sizeof(log) - 1);	/* SYSLOG_ACTION_READ_ALL */
	log[len > 0 ? len : 0] = 0;
	line = strstr(log, "pvx: backend=");
	check(line && !parse_line(line, &l), "boot_line", line ? "%.120s" : NULL, line);
	if (!line)
		return;
	if (expect)
		check(!strcmp(l.backend, expect), "backend", "%s, expected %s",
		      l.backend, expect);
	check(l.unpatched == 0, "unpatched_zero", "unpatched=%u", l.unpatched);
	check(l.sites > 0 && l.sites == l.inl + l.direct + l.nop + l.unpatched,
	      "site_counts", "sites=%u inline=%u direct=%u nop=%u", l.sites,
	      l.inl, l.direct, l.nop);

	check(read_file("/sys/kernel/debug/pvx/status", status, sizeof(status)) &&
	      !parse_line(status, &d) && !memcmp(&d, &l, sizeof(d)),
	      "debugfs_status", "%.*s", (int)strcspn(status, "\n"), status);
	check(strstr(status, "\nabi_headers=1.") != NULL, "abi_headers",
	      "%s", strstr(status, "abi_headers=") ?: "missing");
	unpatched = count_sites("state=unpatched", &total);
	check(total == l.sites && unpatched == 0, "debugfs_sites",
	      "%u lines, %u unpatched", total, unpatched);
}

static void check_module(void)
{
	static char buf[4 << 20];
	unsigned int before, after, unpatched;
	size_t len;
	long ret;

	count_sites("state=", &before);
	len = read_file("/pvx_kunit.ko", buf, sizeof(buf));
	check(len > 0, "module_present", "%zu bytes", len);
	if (!len)
		return;
	printf("PVX-MODULE-BEGIN\n");
	fflush(stdout);
	ret = syscall(SYS_init_module, buf, len, "");
	printf("PVX-MODULE-END\n");
	check(ret == 0, "module_load", "init_module: %ld", ret);
	unpatched = count_sites("state=unpatched", &after);
	check(after > before && unpatched == 0, "module_sites",
	      "%u sites before, %u after, %u unpatched", before, after,
	      unpatched);
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));

	printf("PVX-INIT: started\n");
	check_boot_line();
	if (param("pvx_module") && !strcmp(param("pvx_module"), "1"))
		check_module();

	printf("PVX-RESULT: status=%d\n", failures);
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
