// SPDX-License-Identifier: GPL-2.0
/*
 * pvx-hv: boot an x86_64 bzImage on /dev/kvm and serve it the PVX ABI.
 *
 * main() checks everything it can before touching KVM (flags, image,
 * memory), then builds the VM, starts one thread per vCPU and waits for
 * one of: a vCPU finishing the VM (reset, shutdown hypercall, fault), the
 * --timeout watchdog, or SIGINT/SIGTERM. It then stops and joins every
 * vCPU thread, prints --stats and exits with the status (see pvx-hv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pvx/abi.h>
#include <pvxhv.h>

#include "pvx-hv.h"

#define SZ_1M		(1ULL << 20)
#define PAGE_SIZE	4096ULL
#define DEFAULT_MEM	(512 * SZ_1M)
/*
 * Offered by default: all but TIMER.  Its set_timer and its expiry are
 * two exits to this process per timer event, where KVM handles the LAPIC
 * timer itself; measured no cheaper (Documentation/virt/pvx/design.rst).
 */
#define PVX_HV_FEATURES	(~PVX_FEATURE(TIMER))
#define DEFAULT_TIMEOUT	600

struct options {
	const char *kernel, *initrd, *cmdline, *kvm_path;
	int cpus;
	uint64_t mem;
	unsigned int timeout;
	enum personality pers;
	uint32_t pvx_abi;
	uint64_t pvx_features;	/* offered if libpvxhv can serve them */
	enum hostile hostile;
	unsigned int reinstance;
	bool stats;
};

static const char usage_text[] =
	"usage: pvx-hv [options] BZIMAGE\n"
	"  -c, --cpus N           vCPUs, 1..64 (default 1)\n"
	"  -m, --mem SIZE         guest memory, e.g. 512M or 1G (default 512M, at most 3G)\n"
	"  -i, --initrd FILE      initramfs to pass to the kernel\n"
	"  -a, --cmdline STRING   kernel command line (default \"console=ttyS0\")\n"
	"  -p, --personality P    hypervisor CPUID leaves: none, pvx, kvm, both (default pvx)\n"
	"  -t, --timeout SECONDS  watchdog: stop the guest after this long, 0 = never (default 600)\n"
	"      --abi 1.N          serve this minor of the PVX ABI (default: the latest)\n"
	"      --features LIST    offer only these PVX features, e.g. shared_page,console;\n"
	"                         +f,-g: the default with f added and g taken away\n"
	"                         (default: all but timer, which costs more than the LAPIC's)\n"
	"      --hostile MODE     lie on purpose, for tests: abi-high, features-extra,\n"
	"                         register-error, time-odd, page-unfilled; or be a host\n"
	"                         of another version: future-minor, other-major\n"
	"                         (hostile.c)\n"
	"      --reinstance SECONDS  every SECONDS, save libpvxhv's state, destroy it,\n"
	"                         and restore the state into a new instance (tests)\n"
	"  -s, --stats            print VM exits, hypercalls and KVM's own counters\n"
	"                         at exit (stderr)\n"
	"  -k, --kvm PATH         KVM device (default /dev/kvm)\n"
	"  -h, --help             this text\n"
	"  -V, --version          pvx-hv's version, the PVX ABI and libpvxhv API it uses\n"
	"exit status:\n";

#define STATUS_ROW(name, value, shown, what)	{ shown, what },
static const struct { const char *shown, *what; } statuses[] = {
	HV_STATUSES(STATUS_ROW)
};
#undef STATUS_ROW

static void usage(FILE *f)
{
	fputs(usage_text, f);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].shown)
			fprintf(f, "  %-6s %s\n", statuses[i].shown, statuses[i].what);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "pvx-hv: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'pvx-hv --help'.\n");
	return HV_EUSAGE;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v, shift = 20;	/* plain numbers are MiB */

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || v > (MEM_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'a' },
		{ "personality", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "kvm", required_argument, NULL, 'k' },
		{ "abi", required_argument, NULL, 'A' },
		{ "features", required_argument, NULL, 'F' },
		{ "hostile", required_argument, NULL, 'H' },
		{ "reinstance", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	static const char *const pers[] = { "none", "pvx", "kvm", "both" };
	unsigned long long v;
	int opt;

	*o = (struct options){
		.cmdline = "console=ttyS0", .kvm_path = "/dev/kvm", .cpus = 1,
		.mem = DEFAULT_MEM, .timeout = DEFAULT_TIMEOUT, .pers = PERS_PVX,
		.pvx_features = PVX_HV_FEATURES,
	};
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:m:i:a:p:t:sk:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_uint(optarg, MAX_CPUS, &v) || !v)
				return usage_error("--cpus: '%s' is not a number from 1 to 64", optarg);
			o->cpus = v;
			break;
		case 'm':
			if (!parse_size(optarg, &o->mem))
				return usage_error("--mem: '%s' is not a size up to 3G (e.g. 512M)", optarg);
			if (o->mem & (PAGE_SIZE - 1))
				return usage_error("--mem: '%s' is not a whole number of 4 KiB pages", optarg);
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'a':
			o->cmdline = optarg;
			break;
		case 'p':
			for (v = 0; v < 4 && strcmp(optarg, pers[v]); v++)
				;
			if (v == 4)
				return usage_error("--personality: '%s' is not none, pvx, kvm or both", optarg);
			o->pers = v;
			break;
		case 't':
			if (!parse_uint(optarg, 86400, &v))
				return usage_error("--timeout: '%s' is not a number of seconds", optarg);
			o->timeout = v;
			break;
		case 's':
			o->stats = true;
			break;
		case 'k':
			o->kvm_path = optarg;
			break;
		case 'A':
			if (hypercall_parse_abi(optarg, &o->pvx_abi))
				return usage_error("--abi: '%s' is not a PVX version this pvx-hv serves", optarg);
			break;
		case 'H':
			if (hostile_parse(optarg, &o->hostile))
				return usage_error("--hostile: '%s' is not a mode (see --help)", optarg);
			break;
		case 'R':
			if (!parse_uint(optarg, 86400, &v) || !v)
				return usage_error("--reinstance: '%s' is not a number of seconds", optarg);
			o->reinstance = v;
			break;
		case 'F':
			if (hypercall_parse_features(optarg, &o->pvx_features))
				return usage_error("--features: '%s' is not a list of PVX features", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("pvx-hv %s: PVX ABI %u.%u, libpvxhv API %d\n", PVX_HV_VERSION,
			       PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR, PVXHV_API_VERSION);
			exit(0);
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("no kernel image given%s", "");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	o->kernel = argv[optind];
	return 0;
}

/*
 * stdin, stdout and stderr open, if only on /dev/null: a closed one would
 * otherwise be the next file opened (/dev/kvm, say) and get the guest's
 * output.
 */
static int std_fds_open(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR);

		if (n != fd) {
			/* stderr itself may be the closed one: no message */
			return HV_EHOST;
		}
	}
	return 0;
}

static int kvm_open(struct vm *vm, const char *path)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
		{ KVM_CAP_EXT_CPUID, "CPUID" },
		{ KVM_CAP_GET_TSC_KHZ, "KVM_GET_TSC_KHZ" },
	};

	vm->kvm = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0) {
		PVX_HV_LOG("cannot open %s: %s (is the kvm module loaded?)", path, strerror(errno));
		return HV_EKVM;
	}
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		PVX_HV_LOG("%s is not a usable KVM device (KVM_GET_API_VERSION: %s)", path,
			   errno ? strerror(errno) : "wrong version");
		return HV_EKVM;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ioctl(vm->kvm, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			PVX_HV_LOG("%s lacks %s", path, need[i].name);
			return HV_EKVM;
		}
	if (!(ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS)) {
		PVX_HV_LOG("%s lacks KVM_CAP_SYNC_REGS", path);
		return HV_EKVM;
	}
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		PVX_HV_LOG("%s: cannot create a VM: %s", path, strerror(errno));
		return HV_EKVM;
	}
	return 0;
}

/* Guest memory, in-kernel irqchip and PIT. */
static int vm_create(struct vm *vm, const struct options *o)
{
	/* Port 0x61 too: PIT channel 2 gate and output, which Linux calibrates with. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_userspace_memory_region mem = { 0 };

	vm->ram_size = o->mem;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		PVX_HV_LOG("cannot allocate %llu MiB of guest memory: %s",
			   (unsigned long long)(vm->ram_size >> 20), strerror(errno));
		return HV_EHOST;
	}
	mem.memory_size = vm->ram_size;
	mem.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0 ||
	    ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mem) < 0 ||
	    ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		PVX_HV_LOG("cannot set up the VM: %s", strerror(errno));
		return HV_EKVM;
	}
	return 0;
}

/*
 * One TSC for every vCPU: the frequency KVM gave vCPU 0 (this host's, set
 * on each vCPU explicitly and told to the guest in CPUID, cpuid.c) and vCPU
 * 0's TSC offset on the others, so that all count the same from the start.
 * Without KVM_VCPU_TSC_OFFSET (Linux < 5.16), writing 0 to each vCPU's TSC
 * makes KVM match the offsets.
 */
static int tsc_setup(struct vm *vm)
{
	uint64_t offset;
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET, .addr = (uintptr_t)&offset,
	};
	uint64_t tsc0 = 0;
	int khz = ioctl(vm->cpus[0].fd, KVM_GET_TSC_KHZ, 0);
	bool by_offset = !ioctl(vm->cpus[0].fd, KVM_HAS_DEVICE_ATTR, &attr) &&
			 !ioctl(vm->cpus[0].fd, KVM_GET_DEVICE_ATTR, &attr);

	if (khz <= 0) {
		PVX_HV_LOG("KVM_GET_TSC_KHZ: %s",
			   khz ? strerror(errno) : "the host's TSC frequency is unknown");
		return HV_EKVM;
	}
	vm->tsc_khz = khz;
	for (int i = 0; i < vm->ncpus; i++) {
		int fd = vm->cpus[i].fd;

		if (ioctl(fd, KVM_SET_TSC_KHZ, vm->tsc_khz) < 0 ||
		    (by_offset && i && ioctl(fd, KVM_SET_DEVICE_ATTR, &attr) < 0) ||
		    (!by_offset && vcpu_msr(fd, KVM_SET_MSRS, MSR_IA32_TSC, &tsc0))) {
			PVX_HV_LOG("cannot set vcpu %d's TSC: %s", i, strerror(errno));
			return HV_EKVM;
		}
	}
	return 0;
}

/* The vCPUs, with one TSC. */
static int vcpus_create(struct vm *vm)
{
	vm->run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->cpus = calloc(vm->ncpus, sizeof(*vm->cpus));
	if (!vm->cpus)
		return HV_EHOST;
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpus[i];

		c->id = i;
		c->vm = vm;
		c->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0) {
			PVX_HV_LOG("cannot create vcpu %d: %s", i, strerror(errno));
			return HV_EKVM;
		}
		c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			PVX_HV_LOG("cannot set up vcpu %d: %s", i, strerror(errno));
			return HV_EKVM;
		}
		c->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
		kvm_stats_open(c);
	}
	return tsc_setup(vm);
}

/* Each vCPU's CPUID: the personality's leaves (the PVX ones from libpvxhv). */
static int vcpus_set_cpuid(struct vm *vm)
{
	vm->cpuid = cpuid_build(vm);
	if (!vm->cpuid)
		return HV_EKVM;
	for (int i = 0; i < vm->ncpus; i++)
		if (cpuid_set(&vm->cpus[i], vm->cpuid) < 0) {
			PVX_HV_LOG("cannot set vcpu %d's CPUID: %s", i, strerror(errno));
			return HV_EKVM;
		}
	return 0;
}

static const char *const exit_names[STAT_EXITS] = {
	[KVM_EXIT_IO] = "io", [KVM_EXIT_MMIO] = "mmio", [KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_SHUTDOWN] = "shutdown", [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr", [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event", [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window",
};
static const char *const io_names[IO_KINDS] = {
	[IO_SERIAL] = "serial", [IO_HYPERCALL] = "hypercall",
	[IO_KBD] = "i8042/reset", [IO_RTC] = "rtc", [IO_ACPI] = "acpi pm",
	[IO_DELAY] = "port 0x80 (delay)", [IO_OTHER] = "unclaimed",
};

#define STAT_TOP_PORTS	8

static int by_count(const void *a, const void *b)
{
	const struct port_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : x->port - y->port;
}

/* The unclaimed ports, summed over the vCPUs' tables, most used first. */
static void print_ports(const struct vm *vm)
{
	static struct port_count all[MAX_CPUS * STAT_PORTS];
	uint64_t rest = 0;
	int n = 0;

	for (int i = 0; i < vm->ncpus; i++) {
		const struct stats *s = &vm->cpus[i].st;

		rest += s->ports_more;
		for (int k = 0; k < s->nports; k++) {
			int j;

			for (j = 0; j < n && all[j].port != s->ports[k].port; j++)
				;
			if (j == n)
				all[n++] = (struct port_count){ .port = s->ports[k].port };
			all[j].n += s->ports[k].n;
		}
	}
	qsort(all, n, sizeof(all[0]), by_count);
	for (int j = 0; j < n; j++) {
		if (j < STAT_TOP_PORTS)
			fprintf(stderr, "      port 0x%04x %17llu\n", all[j].port,
				(unsigned long long)all[j].n);
		else
			rest += all[j].n;
	}
	if (rest)
		fprintf(stderr, "      other ports %16llu\n", (unsigned long long)rest);
}

/*
 * KVM's counters: its "exits" counts every VM exit, those it handled
 * itself and those it passed to us (user); the rest break them down.
 */
static void print_kvm_stats(const struct vm *vm, uint64_t user)
{
	static struct kvm_counters k;
	uint64_t all;

	if (kvm_stats_read(vm, &k) < 0) {
		fprintf(stderr, "pvx-hv kvm stats: not available (KVM_GET_STATS_FD)\n");
		return;
	}
	all = kvm_stat(&k, "exits");
	fprintf(stderr, "pvx-hv kvm stats: %llu VM exits, %llu handled inside KVM\n",
		(unsigned long long)all, (unsigned long long)(all > user ? all - user : 0));
	for (int i = 0; i < k.n; i++)
		if (k.val[i] && strcmp(k.name[i], "exits"))
			fprintf(stderr, "  kvm %-26s %12llu\n", k.name[i],
				(unsigned long long)k.val[i]);
}

static void print_stats(struct vm *vm, double seconds)
{
	struct stats t = { 0 };
	uint64_t total = 0, hc = 0;

	for (int i = 0; i < vm->ncpus; i++) {
		struct stats *s = &vm->cpus[i].st;

		for (int k = 0; k <= STAT_EXITS; k++)
			t.exits[k] += s->exits[k];
		for (int k = 0; k < IO_KINDS; k++)
			t.io[k] += s->io[k];
		for (int k = 0; k <= STAT_HCALLS; k++)
			t.hcalls[k] += s->hcalls[k];
		t.timers += s->timers;
		t.blocks_at_once += s->blocks_at_once;
		t.batches += s->batches;
		t.batched += s->batched;
		t.batched_yields += s->batched_yields;
	}
	for (int k = 0; k <= STAT_EXITS; k++)
		total += t.exits[k];
	fprintf(stderr, "pvx-hv stats: %d vcpu(s), %.2f s, %llu exits to userspace\n",
		vm->ncpus, seconds, (unsigned long long)total);
	for (int k = 0; k <= STAT_EXITS; k++) {
		if (!t.exits[k])
			continue;
		if (k < STAT_EXITS && exit_names[k])
			fprintf(stderr, "  exit %-22s %12llu\n", exit_names[k],
				(unsigned long long)t.exits[k]);
		else
			fprintf(stderr, "  exit reason %-15d %12llu\n", k,
				(unsigned long long)t.exits[k]);
		if (k == KVM_EXIT_IO)
			for (int i = 0; i < IO_KINDS; i++) {
				if (!t.io[i])
					continue;
				fprintf(stderr, "    io %-20s %12llu\n", io_names[i],
					(unsigned long long)t.io[i]);
				if (i == IO_OTHER)
					print_ports(vm);
			}
	}
	for (int k = 0; k <= STAT_HCALLS; k++) {
		if (!t.hcalls[k])
			continue;
		hc += t.hcalls[k];
		fprintf(stderr, "  hypercall %-3d %-16s %10llu\n", k,
			k < STAT_HCALLS ? hypercall_name(k) : "(out of range)",
			(unsigned long long)t.hcalls[k]);
	}
	fprintf(stderr, "  hypercalls total %22llu\n", (unsigned long long)hc);
	if (t.timers)
		fprintf(stderr, "  set_timer expiries injected %11llu\n",
			(unsigned long long)t.timers);
	if (vm->reinstanced)
		fprintf(stderr, "  libpvxhv reinstanced %u times (saved, destroyed, restored)\n",
			vm->reinstanced);
	if (t.hcalls[PVX_HC_block])
		fprintf(stderr, "  block: %llu returned at once (a kick was pending)\n",
			(unsigned long long)t.blocks_at_once);
	/* n calls in one exit save n - 1 */
	if (t.batches)
		fprintf(stderr, "  multicall: %llu calls in %llu exits (%llu exits saved), %llu of them sched_yield\n",
			(unsigned long long)t.batched, (unsigned long long)t.batches,
			(unsigned long long)(t.batched - t.batches),
			(unsigned long long)t.batched_yields);
	if (vm->flush_tlb) {
		unsigned long long deferred = 0, kicked = 0;

		for (int i = 0; i < vm->ncpus; i++) {
			deferred += atomic_load(&vm->cpus[i].flush_deferred);
			kicked += atomic_load(&vm->cpus[i].flush_kicked);
		}
		fprintf(stderr, "  flush_tlb: %llu left to KVM (preempted), %llu kicked out of KVM_RUN\n",
			deferred, kicked);
	}
	print_kvm_stats(vm, total);
}

static struct timespec timespec_after(const struct timespec *t, unsigned int s)
{
	return (struct timespec){ .tv_sec = t->tv_sec + s, .tv_nsec = t->tv_nsec };
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Wait for the VM to finish, the watchdog or a signal, reinstancing
 * libpvxhv on the way (--reinstance); then stop every vCPU.
 */
static void wait_and_stop(struct vm *vm, unsigned int timeout)
{
	sigset_t set;
	struct timespec start, end, next, now, left;

	sigemptyset(&set);
	sigaddset(&set, SIG_DONE);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &start);
	end = timespec_after(&start, timeout);
	next = timespec_after(&start, vm->reinstance_s);
	while (!atomic_load(&vm->done)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout && !timespec_before(&now, &end)) {
			PVX_HV_LOG("watchdog: guest still running after %u s, stopping it", timeout);
			vm_finish(vm, HV_ETIMEOUT);
			break;
		}
		if (vm->hv && vm->reinstance_s && !timespec_before(&now, &next)) {
			int err = vm_pause(vm) ? hypercall_reinstance(vm) : 0;

			vm_resume(vm);
			if (err)
				vm_finish(vm, err);
			next = timespec_after(&now, vm->reinstance_s);
			continue;
		}
		struct timespec until = vm->hv && vm->reinstance_s &&
					(!timeout || timespec_before(&next, &end)) ? next : end;

		left.tv_sec = until.tv_sec - now.tv_sec;
		left.tv_nsec = until.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000;
		int sig = sigtimedwait(&set, NULL,
				       timeout || (vm->hv && vm->reinstance_s) ? &left : NULL);

		if (sig == SIGINT || sig == SIGTERM) {
			PVX_HV_LOG("stopped by signal %d (%s)", sig, strsignal(sig));
			vm_finish(vm, HV_ESIGNAL + sig);
		}
	}
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->cpus[i]);
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].started)
			pthread_join(vm->cpus[i].thread, NULL);
	if (vm->status == HV_ETIMEOUT)
		for (int i = 0; i < vm->ncpus; i++)
			dump_vcpu(&vm->cpus[i], "state when the watchdog fired");
}

int main(int argc, char **argv)
{
	static struct vm vm = {
		.kvm = -1, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER,
		.pause_lock = PTHREAD_MUTEX_INITIALIZER, .pause_cond = PTHREAD_COND_INITIALIZER,
	};
	struct options o;
	struct image img = { 0 };
	uint8_t *initrd = NULL;
	size_t initrd_size = 0;
	uint64_t initrd_at = 0;
	struct timespec t0, t1;
	int err;

	err = parse_options(argc, argv, &o);
	if (err)
		return err;
	err = std_fds_open();
	if (err)
		return err;
	err = image_load_file(&img, o.kernel);
	if (err)
		return err;
	if (o.initrd && (err = file_read(o.initrd, &initrd, &initrd_size)))
		return err;
	uint64_t need = img.need + ((initrd_size + SZ_1M - 1) & ~(SZ_1M - 1));

	if (o.mem < need) {
		PVX_HV_LOG("--mem %lluM is too little for %s%s: it needs at least %lluM",
			   (unsigned long long)(o.mem >> 20), o.kernel,
			   initrd ? " and its initrd" : "", (unsigned long long)(need >> 20));
		return HV_EMEM;
	}
	if (initrd && (err = initrd_place(&img, o.mem, initrd_size, &initrd_at)))
		return err;
	if (strlen(o.cmdline) >= img.cmdline_max) {
		PVX_HV_LOG("--cmdline: longer than the kernel's limit of %u bytes",
			   img.cmdline_max - 1);
		return HV_EUSAGE;
	}

	vm.ncpus = o.cpus;
	vm.pers = o.pers;
	vm.pvx_abi = o.pvx_abi;
	vm.pvx_features = o.pvx_features;
	vm.hostile = o.hostile;
	vm.reinstance_s = o.reinstance;
	vm.main_thread = pthread_self();
	err = kvm_open(&vm, o.kvm_path);
	if (!err)
		err = vm_create(&vm, &o);
	if (!err)
		err = vcpus_create(&vm);
	if (!err)
		err = hypercall_init(&vm);
	if (!err)
		err = vcpus_set_cpuid(&vm);
	if (err)
		return err;
	boot_setup(&vm, &img, initrd, initrd_size, initrd_at, o.cmdline);
	mptable_setup(&vm);
	acpi_setup(&vm);
	free(img.data);
	free(initrd);
	if (vcpu_boot_regs(&vm.cpus[0], KERNEL_ADDR) < 0) {
		PVX_HV_LOG("cannot set the boot vcpu's registers: %s", strerror(errno));
		return HV_EKVM;
	}

	/* SIG_DONE etc. only ever reach main(); SIG_KICK interrupts KVM_RUN. */
	sigset_t set;
	struct sigaction sa = { .sa_handler = vcpu_signal };

	sigaction(SIG_KICK, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout: EPIPE, output.c drops */
	sigemptyset(&set);
	sigaddset(&set, SIG_DONE);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	err = output_start(&vm.out, STDOUT_FILENO);
	if (err)
		return err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The APs wait for the boot vCPU's SIPI: start them first. */
	for (int i = vm.ncpus - 1; i >= 0; i--) {
		if (pthread_create(&vm.cpus[i].thread, NULL, vcpu_thread, &vm.cpus[i])) {
			PVX_HV_LOG("cannot start vcpu %d's thread", i);
			vm_finish(&vm, HV_EHOST);
			break;
		}
		vm.cpus[i].started = true;
	}
	wait_and_stop(&vm, o.timeout);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	serial_flush(&vm);
	output_finish(&vm.out);
	if (o.stats)
		print_stats(&vm, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	hypercall_exit(&vm);
	return vm.status;
}
