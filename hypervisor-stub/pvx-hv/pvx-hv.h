/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvx-hv: the reference hypervisor of the pvx project.
 *
 * A small VMM on /dev/kvm that boots an x86_64 bzImage and serves the PVX
 * hypercall ABI through libpvxhv. Everything the VMM knows lives in
 * struct vm; each vCPU thread owns one struct vcpu. Device state is
 * shared between vCPUs and protected by vm->lock.
 */
#ifndef PVX_HV_H
#define PVX_HV_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

/*
 * Exit status of pvx-hv, one row each: the enum, --help and the table in
 * Documentation/pvx-hv.rst (which check-hv compares with --help) all come
 * from here. 0..63 is the guest's own (0 also for a guest that resets or
 * powers off); 64 and up are pvx-hv's, one per failure class; a signal
 * that stops pvx-hv gives 128 + its number, as a shell reports it.
 */
#define HV_STATUSES(X)								\
	X(HV_OK,	0,   "0..63", "the guest's shutdown code (above 63: 63); 0 also: reset, S5") \
	X(HV_GUEST_MAX,	63,  NULL,    NULL)						\
	X(HV_EUSAGE,	64,  "64",    "bad flags")					\
	X(HV_ENOFILE,	65,  "65",    "kernel or initrd missing or unreadable")	\
	X(HV_EIMAGE,	66,  "66",    "not a bzImage, or a corrupt one")		\
	X(HV_EMEM,	67,  "67",    "too little room for kernel and initrd (--mem, initrd_addr_max)") \
	X(HV_EKVM,	68,  "68",    "no /dev/kvm, or one that cannot be used")	\
	X(HV_ETRIPLE,	69,  "69",    "the guest triple-faulted (registers printed)")	\
	X(HV_EINTERNAL,	70,  "70",    "KVM failed: internal error, entry, TLB flush, odd exit") \
	X(HV_ETIMEOUT,	71,  "71",    "the --timeout watchdog stopped the guest")	\
	X(HV_EHOST,	72,  "72",    "host resources (memory, threads)")		\
	X(HV_ECRASH,	74,  "74",    "the guest reported a crash (PVX shutdown, crash)") \
	X(HV_ESIGNAL,	128, "128+N", "stopped by signal N (SIGINT: 130, SIGTERM: 143)")

#define HV_STATUS_ENUM(name, value, shown, what)	name = value,
enum hv_status { HV_STATUSES(HV_STATUS_ENUM) };
#undef HV_STATUS_ENUM

enum personality { PERS_NONE, PERS_PVX, PERS_KVM, PERS_BOTH };

#define SZ_1M			(1ULL << 20)
#define PAGE_SIZE		4096ULL

/* Guest physical layout (below 1 MiB, then the kernel at 1 MiB). */
#define BOOT_PARAMS_ADDR	0x10000UL
#define CMDLINE_ADDR		0x20000UL
#define MPTABLE_ADDR		0x9f000UL	/* the MP table, up to MPF_ADDR; */
#define MPF_ADDR		0x9fc00UL	/* its floating pointer, in the last KiB
						   of base memory, where Linux scans */
#define ACPI_NVS_ADDR		0xe0000UL	/* FACS; e820 ACPI NVS up to ... */
#define ACPI_TABLES_ADDR	0xe1000UL	/* the other tables; e820 ACPI up to ... */
#define RSDP_ADDR		0xf0000UL	/* ... the BIOS area, reserved */
#define KVM_ST_ADDR		0xd0000UL	/* KVM's steal-time records (tlbflush.c), */
#define KVM_ST_SIZE		0x1000UL	/* 64 bytes a vCPU, in the reserved hole */
#define BIOS_END		0x100000UL
#define KERNEL_ADDR		0x100000UL
#define MEM_MAX			(3ULL << 30)	/* one slot, below the 4G hole */
#define IOAPIC_ADDR		0xfec00000UL
#define LAPIC_ADDR		0xfee00000UL
#define MAX_CPUS		64

/*
 * Fixed hardware: devices.c serves these ports, acpi.c describes them.
 * ACPI PM1a event block (status, enable: 2 bytes each), PM1a control,
 * PM timer; SCI on ISA IRQ 9; the reset register (also Linux's reboot=pci).
 */
#define ACPI_PM1A_EVT		0x600
#define ACPI_PM1_EVT_LEN	4
#define ACPI_PM1A_CNT		0x604
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR		0x608
#define ACPI_PM_TMR_LEN		4
#define ACPI_PM_TMR_HZ		3579545		/* ACPI's 3.579545 MHz */
#define ACPI_PM_TMR_BITS	32		/* FADT TMR_VAL_EXT: 32, else 24 */
#define ACPI_SCI_IRQ		9
#define ACPI_SLP_TYP_S5		5		/* \_S5's SLP_TYPa */
#define ACPI_SLP_TYP_SHIFT	10		/* PM1 control: SLP_TYP, bits 10-12 */
#define ACPI_SLP_EN		(1u << 13)
#define ACPI_SCI_EN		(1u << 0)
#define COM1			0x3f8		/* the 8250 UART, to stdout */
#define COM1_IRQ		4
#define RESET_PORT		0xcf9		/* reset control: bit 2 resets */
#define RESET_CPU		0x04
#define RESET_VALUE		0x06		/* what the FADT tells the guest to write */
#define RTC_CENTURY		0x32		/* CMOS register of the century */
#define KBD_DATA		0x60		/* i8042 */
#define KBD_STATUS		0x64		/* read: status, write: command */

/* What the run loop counts; summed over vCPUs for --stats. */
enum io_kind { IO_SERIAL, IO_HYPERCALL, IO_KBD, IO_RTC, IO_ACPI, IO_DELAY, IO_OTHER, IO_KINDS };
#define STAT_EXITS	64	/* KVM_EXIT_* reasons we can name */
#define STAT_HCALLS	64	/* hypercall numbers counted one by one */
#define STAT_PORTS	16	/* unclaimed ports counted one by one, per vCPU */
struct port_count {
	uint16_t port;
	uint64_t n;
};
struct stats {
	uint64_t exits[STAT_EXITS + 1];		/* last slot: unknown */
	uint64_t io[IO_KINDS];
	uint64_t hcalls[STAT_HCALLS + 1];	/* last slot: out of range */
	struct port_count ports[STAT_PORTS];	/* IO_OTHER by port, first come */
	int nports;
	uint64_t ports_more;			/* IO_OTHER once ports[] is full */
	uint64_t timers;			/* set_timer expiries injected */
	uint64_t blocks_at_once;		/* blocks a pending kick ended at once */
	uint64_t batches, batched;		/* multicalls run, calls in them */
	uint64_t batched_yields;		/* sched_yield in a multicall */
};

/* KVM's own plain counters (kvmstats.c), by name, summed over vCPUs. */
#define KSTAT_COUNTERS	64
struct kvm_counters {
	int n;
	char name[KSTAT_COUNTERS][48];
	uint64_t val[KSTAT_COUNTERS];
};

struct vm;
struct pvxhv;

/* The records KVM can keep for libpvxhv: enum pvxhv_record (kvmrecords.c checks). */
#define HV_RECORDS	4

struct vcpu {
	int id;
	int fd;
	int stats_fd;			/* KVM_GET_STATS_FD, -1 if none */
	int schedstat;			/* the thread's schedstat, -1 if none */
	uint64_t steal_ns;		/* its run delay, as last read */
	uint64_t steal_read_at;		/* CLOCK_MONOTONIC ns of that read */
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct vm *vm;
	struct stats st;

	/*
	 * PVX block: halt in KVM until an interrupt, a kick or the deadline;
	 * with the guest's interrupts masked, wait in pvx-hv instead.
	 */
	bool block;			/* asked for by the current hypercall */
	bool block_masked;		/* ... with the guest's RFLAGS.IF clear */
	uint64_t block_deadline;	/* CLOCK_MONOTONIC ns, 0: none */
	uint64_t block_token;		/* libpvxhv's, for pvxhv_kicked() */
	unsigned int block_injected;	/* injected, as the block began */
	bool halted;			/* we put it in KVM_MP_STATE_HALTED */
	atomic_bool kicked;		/* a kick since the last block */
	atomic_bool waiting;		/* in a masked block, out of KVM_RUN */
	atomic_uint injected;		/* vectors libpvxhv injected into it */
	timer_t timer;			/* sends SIG_KICK at the deadline */
	bool has_timer;

	/* PVX set_timer: a one-shot timer; only the vCPU's thread uses it. */
	uint64_t pvtimer_at;		/* CLOCK_MONOTONIC ns, 0: not armed */
	timer_t pvtimer;		/* sends SIG_KICK at pvtimer_at */
	bool has_pvtimer;

	/*
	 * Other threads' requests, taken just before KVM_RUN (tlbflush.c: a
	 * TLB flush; kvmrecords.c: records to move), and the wait for this
	 * vCPU to leave KVM_RUN.
	 */
	atomic_uint run_seq;		/* odd around KVM_RUN (a futex) */
	atomic_uint run_waiters;	/* threads waiting for run_seq to move */
	atomic_bool flush_req;		/* flush before the next KVM_RUN */
	atomic_ulong flush_deferred;	/* flushes left to KVM (preempted) */
	atomic_ulong flush_kicked;	/* flushes that made it leave KVM_RUN */

	/*
	 * The MSRs that point KVM at this vCPU's records (kvmrecords.c,
	 * tlbflush.c), written on its thread or while it is out of KVM_RUN.
	 * msr_lock guards the posted move and the steal-time record.
	 */
	pthread_mutex_t msr_lock;
	atomic_bool rec_posted;		/* rec_want waits for this vCPU */
	uint64_t rec_want[HV_RECORDS];	/* ... as ops->records gave it */
	uint64_t rec_gpa[HV_RECORDS];	/* the move last applied */
	uint32_t records;		/* PVXHV_RECORD()s delegated to KVM */
	atomic_uint rec_live;		/* ... of them KVM keeps now */
	atomic_ulong rec_moves;		/* records moved (ops->records) */
	atomic_ulong rec_kicked;	/* ... that made it leave KVM_RUN */
	uint64_t st_msr;		/* MSR_KVM_STEAL_TIME's record, 0: off */
	uint64_t st_gpa;		/* the record flushes defer into, 0: none */

	/* --hostile (hostile.c), on the vCPU's thread only */
	bool hostile_paged;		/* a shared page is registered ... */
	uint64_t hostile_page;		/* ... at this GPA */
	uint64_t hostile_time;		/* the system_time last bent, as written */
};

#define OUTPUT_LINE	4096		/* the longest line a device hands over */

/* The 8250 UART at 0x3f8 (IRQ 4), transmit only, output on stdout. */
struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri_pending;	/* "THR empty" interrupt raised, not yet seen */
	bool irq_level;
	size_t len;
	char buf[OUTPUT_LINE];
};

/*
 * The guest's output on stdout (output.c): devices append to a bounded
 * buffer and never block on stdout themselves; one writer thread alone
 * calls write().  A reader that stalls for OUTPUT_STALL_NS gets the rest
 * dropped (counted, said at exit), one that goes away too; the VM runs on.
 */
#define OUTPUT_SIZE	(64 * 1024)
#define OUTPUT_CHUNK	4096		/* the most one write() is given */
#define OUTPUT_STALL_NS	1000000000ull
#define OUTPUT_DRAIN_NS	2000000000ull	/* at exit, at most this for the rest */
struct output {
	pthread_mutex_t lock;
	pthread_cond_t more, room;	/* to the writer; to output_put() */
	pthread_cond_t turn;		/* serving moved on */
	uint64_t tickets, serving;	/* output_ticket(), output_put() */
	int fd;
	bool started, stop;
	bool gone;			/* write() failed: the reader went away */
	bool stalled;			/* no progress for OUTPUT_STALL_NS */
	uint64_t progress_ns;		/* the writer's last progress */
	uint64_t dropped;		/* bytes never written */
	size_t head, len;
	char buf[OUTPUT_SIZE];
	pthread_t thread;
};

/* ACPI PM1a registers; status is always 0: no fixed events are raised. */
struct acpi_pm {
	uint16_t en, cnt;
};

/* The i8042 keyboard controller: commands, no keyboard behind it. */
struct kbd {
	uint8_t ctr, cmd, out, status;
};

struct image {			/* a validated bzImage, as read from disk */
	uint8_t *data;
	size_t size;
	size_t setup_size;	/* real-mode part, (setup_sects + 1) * 512 */
	size_t payload_size;	/* protected-mode part, syssize * 16 */
	uint64_t need;		/* lowest --mem that can hold it */
	uint64_t kernel_end;	/* the end of the memory it runs in */
	uint32_t initrd_max;	/* the highest address of an initrd */
	uint32_t cmdline_max;	/* its command line size, with the NUL */
};

#define MSR_IA32_TSC	0x10		/* the TSC, as KVM_GET/SET_MSRS see it */
#define RFLAGS_IF	0x200		/* interrupts enabled */

/*
 * --hostile modes, one row each: X(ID, name, what it bends).  The enum,
 * --help's table and the names --hostile takes come from here;
 * Documentation/pvx-hv.rst has a copy of the table that make check-host
 * compares with --help.  hostile.c says exactly when each bend happens.
 */
#define HOSTILE_MODES(X)							\
	X(ABI_HIGH,		"abi-high",		"negotiate answers a version above the one offered") \
	X(FEATURES_EXTRA,	"features-extra",	"negotiate grants a feature never offered (bit 63)") \
	X(REGISTER_ERROR,	"register-error",	"register_shared_page fails with -PVX_EINVAL") \
	X(TIME_ODD,		"time-odd",		"the time record's version stays odd") \
	X(PAGE_UNFILLED,	"page-unfilled",	"register_shared_page succeeds, the page stays empty") \
	X(SHUTDOWN_RETURNS,	"shutdown-returns",	"shutdown(POWEROFF) returns 0 and the VM runs on") \
	X(FUTURE_MINOR,		"future-minor",		"a host of ABI 1.(latest+1) with a feature bit unknown") \
	X(OTHER_MAJOR,		"other-major",		"a host of ABI 2.0: negotiate refuses major 1") \
	X(CPUID_TRANSPORT,	"cpuid-transport",	"CPUID base+2 EAX: a transport no version defines") \
	X(CPUID_PORT0,		"cpuid-port0",		"CPUID base+2 EBX: I/O port 0") \
	X(CPUID_PORT_HIGH,	"cpuid-port-high",	"CPUID base+2 EBX: port 0xfffe (4 bytes past 0xffff)") \
	X(CPUID_VERSION_GARBAGE, "cpuid-version-garbage", "CPUID base+1 EAX: version 0xffffffff") \
	X(CPUID_NR_VCPUS0,	"cpuid-nr-vcpus0",	"CPUID base+1 EDX: 0 vCPUs served") \
	X(CPUID_FEATURES_ALL,	"cpuid-features-all",	"CPUID base+1 EBX, ECX: all 64 feature bits set") \
	X(CPUID_LEAVES_SHORT,	"cpuid-leaves-short",	"CPUID base+0 EAX: base+1, below the transport leaf") \
	X(NEGOTIATE_SIZE,	"negotiate-size",	"negotiate writes back size 0") \
	X(NEGOTIATE_SIZE_LARGE,	"negotiate-size-large",	"negotiate writes back a size above the guest's") \
	X(NEGOTIATE_MAJOR_LOW,	"negotiate-major-low",	"negotiate answers version 0.1, a major below") \
	X(NEGOTIATE_MAX_MULTICALL0, "negotiate-max-multicall0", "negotiate writes back max_multicall 0") \
	X(NEGOTIATE_NR_VCPUS0,	"negotiate-nr-vcpus0",	"negotiate writes back nr_vcpus 0") \
	X(NEGOTIATE_POSITIVE,	"negotiate-positive",	"negotiate succeeds but returns 1, not 0") \
	X(RET_POSITIVE,		"ret-positive",		"every call but negotiate documented as 0 returns 7") \
	X(RET_UNDOCUMENTED,	"ret-undocumented",	"every call but negotiate returns -9999 (served)") \
	X(SET_TIMER_ERROR,	"set-timer-error",	"TIMER offered; every set_timer fails, -PVX_EINVAL") \
	X(SEND_IPI_SHORT,	"send-ipi-short",	"send_ipi interrupts no vCPU and returns 0") \
	X(CONSOLE_NO_PROGRESS,	"console-no-progress",	"console_write writes nothing and returns 0") \
	X(CONSOLE_ERROR,	"console-error",	"console_write writes nothing, -PVX_EFAULT") \
	X(TIME_MUL0,		"time-mul0",		"time record without a TSC scale (mul 0; valid)") \
	X(TIME_SHIFT127,	"time-shift127",	"time record tsc_shift 127") \
	X(TIME_BACKWARDS,	"time-backwards",	"system_time goes back 1 s, 2 s into the boot") \
	X(TIME_JUMP,		"time-jump",		"system_time jumps ahead 1 h, 2 s into the boot") \
	X(STEAL_BACKWARDS,	"steal-backwards",	"steal_ns goes back 1 s, 2 s into the boot") \
	X(STEAL_ODD,		"steal-odd",		"steal_version stays odd") \
	X(PREEMPTED_GARBAGE,	"preempted-garbage",	"preempted 0xff, on the running vCPU") \
	X(SIZE_SHORT,		"size-short",		"the record's size 16: time and steal lie beyond") \
	X(RECORD_RETIRED,	"record-retired",	"the record's flags cleared, 2 s into the boot") \
	X(STEAL_RECORD_ODD,	"steal-record-odd",	"1.2 steal record: its version stays odd") \
	X(FLUSH_NO_PREEMPTED,	"flush-no-preempted",	"1.2 steal record: preempted FLUSH_TLB, not PREEMPTED") \
	X(EOI_GARBAGE,		"eoi-garbage",		"1.2 PV EOI word 0xdeadbeef") \
	X(WALL_CLOCK_1970,	"wall-clock-1970",	"1.2 wall clock 0 s 0 ns: 1970, the earliest a u32 says") \
	X(WALL_CLOCK_2106,	"wall-clock-2106",	"1.2 wall clock sec 0xffffffff: 2106, the latest") \
	X(SOFT_RESET_REFUSED,	"soft-reset-refused",	"soft_reset answers -PVX_EPERM and forgets nothing")

#define HOSTILE_ENUM(id, name, what)	HOSTILE_##id,
enum hostile {
	HOSTILE_NONE,
	HOSTILE_MODES(HOSTILE_ENUM)
	HOSTILE_COUNT
};
#undef HOSTILE_ENUM

struct vm {
	int kvm;			/* /dev/kvm */
	int fd;				/* the VM */
	uint8_t *ram;
	uint64_t ram_size;
	int ncpus;
	struct vcpu *cpus;
	size_t run_size;
	enum personality pers;
	uint32_t pvx_abi;		/* --abi: the PVX version served, 0: the latest */
	uint64_t pvx_features;		/* --features: the PVX features offered */
	enum hostile hostile;		/* --hostile: the answer to bend, if any */
	struct kvm_cpuid2 *cpuid;	/* shared; APIC id patched per vCPU */
	uint32_t tsc_khz;		/* every vCPU's TSC frequency */

	pthread_t main_thread;
	atomic_bool done;

	/*
	 * Pausing every vCPU (vm_pause()): each vCPU thread waits at the top
	 * of its run loop, outside KVM_RUN and every libpvxhv call.
	 */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pausing;
	int paused;			/* vCPU threads waiting, under pause_lock */
	int running;			/* vCPU threads in their run loop, ditto */
	int status;			/* valid once done */

	pthread_mutex_t lock;		/* devices */
	struct output out;		/* the serial port's stdout */
	struct serial serial;
	struct kbd kbd;
	struct acpi_pm pm;
	uint8_t rtc_index;
	struct pvxhv *hv;		/* libpvxhv, for personalities pvx, both */
	unsigned int reinstance_s;	/* --reinstance: every this many seconds */
	unsigned int reinstanced;	/* ... done so many times */
	bool flush_tlb;			/* FLUSH_TLB offered: tlbflush.c's records */
	uint64_t t0_ns;			/* guest time 0, CLOCK_MONOTONIC */
	bool keep_records;		/* --keep-records: libpvxhv keeps them all */
	uint32_t records;		/* PVXHV_RECORD()s KVM keeps (kvmrecords.c) */
	bool kvmclock;			/* ... TIME among them: guest time is KVM's clock */
};

/* The IOAPIC's id: the first after the vCPUs' APIC ids 0..ncpus-1. */
static inline uint8_t ioapic_id(const struct vm *vm)
{
	return vm->ncpus;
}

/*
 * The files, in the order a reader meets them: main.c builds the VM and
 * waits; vcpu.c is the run loop, which hands exits to devices.c (port
 * I/O, whose output goes through output.c) and hypercall.c (libpvxhv's
 * glue), and stops the VM; the rest serve one of those.
 */

/* options.c: the command line */
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
	bool keep_records;	/* libpvxhv keeps every record: none delegated */
};
int parse_options(int argc, char **argv, struct options *o);

/* vcpu.c: the run loop; the only place but main() and the guest's PVX shutdown that ends the VM */
#define SIG_KICK	SIGUSR1		/* to a vCPU thread: leave KVM_RUN */
#define SIG_DONE	SIGUSR2		/* to the main thread: VM finished */
uint64_t now_ns(void);
void *vcpu_thread(void *arg);
void vcpu_handle_exit(struct vcpu *c);
void vcpu_signal(int sig);
void vcpu_kick(struct vcpu *c);
void vcpu_set_timer(struct vcpu *c, uint64_t at_ns);
int vcpu_msr(int fd, unsigned long req, uint32_t index, uint64_t *data);
void vm_finish(struct vm *vm, int status);
bool vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
void dump_vcpu(struct vcpu *c, const char *why);

/* devices.c: port I/O; a write reports what it did to the machine */
enum dev_event { DEV_NONE, DEV_RESET, DEV_POWEROFF };
enum dev_event io_out(struct vcpu *c, uint16_t port, const uint8_t *data, int size);
void io_in(struct vcpu *c, uint16_t port, uint8_t *data, int size);
void serial_flush(struct vm *vm);
void serial_print(struct vm *vm, const char *buf, size_t len);

/* output.c: the guest's output on stdout */
int output_start(struct output *o, int fd);
uint64_t output_ticket(struct output *o);
void output_put(struct output *o, uint64_t ticket, const char *buf, size_t len);
void output_finish(struct output *o);

/* hypercall.c: libpvxhv's instance, its callbacks, and the hypercall exit */
int hypercall_init(struct vm *vm);
int hypercall_reinstance(struct vm *vm);
void hypercall_exit(struct vm *vm);
void hypercall_cpuid(struct vm *vm, struct kvm_cpuid2 *c,
		     void (*add)(struct kvm_cpuid2 *, const struct kvm_cpuid_entry2 *));
bool hypercall_port(struct vm *vm, uint16_t port);
void hypercall(struct vcpu *c);
void hypercall_enter(struct vcpu *c);
bool hypercall_kicked(struct vcpu *c);
void hypercall_timer_expired(struct vcpu *c);
const char *hypercall_name(unsigned int nr);

/* steal.c: steal time from the vCPU thread's schedstat */
void steal_start(struct vcpu *c);
uint64_t steal_ns(struct vcpu *c);

/* tlbflush.c: FLUSH_TLB through KVM's steal-time records; other threads' requests */
bool tlbflush_supported(struct vm *vm);
void tlbflush_shared_page(struct vcpu *c, bool registered);
int tlbflush_steal_record(struct vcpu *c, uint64_t gpa);
void tlbflush_soft_reset(struct vm *vm);
void tlbflush_on_entry(struct vcpu *c);
bool tlbflush_run_begin(struct vcpu *c);
void tlbflush_run_end(struct vcpu *c);
void tlbflush_many(struct vm *vm, const uint32_t *ids, uint32_t n);
bool run_seq_kick(struct vcpu *t, unsigned int *seq);
bool run_seq_wait(struct vcpu *t, unsigned int seq, uint64_t until_ns);

/* kvmrecords.c: the records KVM keeps for libpvxhv (PVX 1.2) */
void kvm_records_init(struct vm *vm);
int kvm_records_delegate(struct vm *vm, struct pvxhv *hv);
void kvm_records_moved(struct vm *vm, uint32_t vcpu, const uint64_t gpa[HV_RECORDS]);
void kvm_records_take(struct vcpu *c);
bool kvm_records_steal_kept(struct vcpu *c);
const char *kvm_records_names(uint32_t records, char *buf, size_t size);
void kvm_records_print(const struct vm *vm, const char *prefix, bool counts);

/* hostile.c: --hostile, a hypervisor that lies on purpose (tests) */
struct pvxhv_regs;
struct pvxhv_config;
int hostile_parse(const char *s, enum hostile *mode);
const char *hostile_name(enum hostile mode);
const char *hostile_what(enum hostile mode);
void hostile_config(const struct vm *vm, struct pvxhv_config *cfg);
void hostile_cpuid(struct vm *vm, uint32_t offset, uint32_t r[4]);
bool hostile_before(struct vm *vm, struct pvxhv_regs *r);
void hostile_after(struct vcpu *c, const struct pvxhv_regs *call, struct pvxhv_regs *r);
uint64_t hostile_steal(struct vcpu *c, uint64_t steal_ns);
uint32_t hostile_records(const struct vm *vm);
void hostile_unbend(struct vcpu *c);
void hostile_enter(struct vcpu *c);

/* boot.c: the bzImage, the boot protocol, the MP table */
int image_load_file(struct image *img, const char *path);
int file_read(const char *path, uint8_t **data, size_t *size);
int initrd_place(const struct image *img, uint64_t ram_size, size_t initrd_size, uint64_t *at);
void boot_setup(struct vm *vm, const struct image *img, const uint8_t *initrd,
		size_t initrd_size, uint64_t initrd_at, const char *cmdline);
void mptable_setup(struct vm *vm);
uint8_t table_checksum(const void *p, size_t n);
int vcpu_boot_regs(struct vcpu *c, uint64_t entry);

/* acpi.c: the ACPI tables */
void acpi_setup(struct vm *vm);

/* cpuid.c: each personality's CPUID */
struct kvm_cpuid2 *cpuid_build(struct vm *vm);
int cpuid_set(struct vcpu *c, const struct kvm_cpuid2 *tmpl);
uint32_t cpuid_kvm_features(struct vm *vm);

/* stats.c: --stats */
void print_stats(struct vm *vm, double seconds);

/* kvmstats.c: KVM's own counters */
void kvm_stats_open(struct vcpu *c);
int kvm_stats_read(const struct vm *vm, struct kvm_counters *k);
uint64_t kvm_stat(const struct kvm_counters *k, const char *name);

#define PVX_HV_LOG(fmt, ...) fprintf(stderr, "pvx-hv: " fmt "\n", ##__VA_ARGS__)

#endif
