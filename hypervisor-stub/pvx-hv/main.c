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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pvx/abi.h>

#include "pvx-hv.h"

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
			if (n >= 0)
				close(n);
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
		pthread_mutex_init(&c->msr_lock, NULL);
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
	/* --reinstance's period (options.c allows it only with a libpvxhv) */
	const unsigned int every = vm->reinstance_s;
	sigset_t set;
	struct timespec start, end, next, now, left;

	sigemptyset(&set);
	sigaddset(&set, SIG_DONE);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);

	clock_gettime(CLOCK_MONOTONIC, &start);
	end = timespec_after(&start, timeout);
	next = timespec_after(&start, every);
	while (!atomic_load(&vm->done)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout && !timespec_before(&now, &end)) {
			PVX_HV_LOG("watchdog: guest still running after %u s, stopping it", timeout);
			vm_finish(vm, HV_ETIMEOUT);
			break;
		}
		if (every && !timespec_before(&now, &next)) {
			int err = vm_pause(vm) ? hypercall_reinstance(vm) : 0;

			if (err)	/* done before they resume: no vCPU runs on */
				vm_finish(vm, err);
			vm_resume(vm);
			next = timespec_after(&now, every);
			continue;
		}
		struct timespec until = every && (!timeout || timespec_before(&next, &end)) ?
					next : end;

		left.tv_sec = until.tv_sec - now.tv_sec;
		left.tv_nsec = until.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000;
		int sig = sigtimedwait(&set, NULL,
				       timeout || every ? &left : NULL);

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
	vm.keep_records = o.keep_records;
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
	if (vm.hv)		/* which records KVM keeps for libpvxhv */
		kvm_records_print(&vm, "pvx-hv: ", false);
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
	/* a shell starts background jobs with these ignored: then none would arrive */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
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
