// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 32-bit
 * entry: load the protected-mode kernel at 1 MiB, fill in a zero page
 * (boot_params: setup header, e820 map, command line, initrd), and start
 * the boot vCPU in flat protected mode at code32_start with %esi pointing
 * at the zero page. An MP table tells the guest about the other vCPUs
 * (as do the ACPI tables, acpi.c, for guests that use ACPI).
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvx-hv.h"

#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define HDR_OFFSET	0x1f1		/* struct setup_header in the image */
#define MIN_VERSION	0x0206		/* cmdline_size, initrd_addr_max */
#define INIT_SIZE_VERSION 0x020a	/* pref_address, init_size */
#define RUN_ROOM	(32 * SZ_1M)	/* what the kernel needs beyond itself */
#define E820_RAM	1
#define E820_RESERVED	2
#define E820_ACPI	3
#define E820_NVS	4

int file_read(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		PVX_HV_LOG("cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return HV_ENOFILE;
	}
	if (!S_ISREG(st.st_mode)) {
		PVX_HV_LOG("%s: not a regular file", path);
		close(fd);
		return HV_ENOFILE;
	}
	*size = st.st_size;
	*data = malloc(*size ? *size : 1);
	if (!*data) {
		close(fd);
		PVX_HV_LOG("%s: out of memory", path);
		return HV_EHOST;
	}
	for (size_t got = 0; got < *size;) {
		ssize_t n = read(fd, *data + got, *size - got);

		if (n <= 0) {
			PVX_HV_LOG("cannot read %s: %s", path,
				   n ? strerror(errno) : "file shrank");
			close(fd);
			free(*data);
			return HV_ENOFILE;
		}
		got += n;
	}
	close(fd);
	return 0;
}

/* The CRC-32 that arch/x86/boot/tools/build.c appends (no final xor). */
static uint32_t bzimage_crc(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t crc = 0xffffffff;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Read and validate a bzImage; one message and HV_E* on any problem. */
int image_load_file(struct image *img, const char *path)
{
	const struct setup_header *hdr;
	int err = file_read(path, &img->data, &img->size);

	if (err)
		return err;
	if (img->size < 1024) {
		PVX_HV_LOG("%s: not a bzImage (only %zu bytes)", path, img->size);
		return HV_EIMAGE;
	}
	hdr = (const void *)(img->data + HDR_OFFSET);
	if (hdr->boot_flag != 0xaa55 || hdr->header != 0x53726448) {
		PVX_HV_LOG("%s: not a bzImage (no Linux boot header)", path);
		return HV_EIMAGE;
	}
	if (hdr->version < MIN_VERSION || !(hdr->loadflags & LOADED_HIGH)) {
		PVX_HV_LOG("%s: not a bzImage (boot protocol %u.%02u, need %u.%02u and a high load)",
			   path, hdr->version >> 8, hdr->version & 0xff,
			   MIN_VERSION >> 8, MIN_VERSION & 0xff);
		return HV_EIMAGE;
	}
	img->setup_size = ((hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
	img->payload_size = (size_t)hdr->syssize * 16;
	if (img->setup_size + img->payload_size > img->size || !img->payload_size) {
		PVX_HV_LOG("%s: corrupt bzImage: truncated (%zu bytes, header says %zu)",
			   path, img->size, img->setup_size + img->payload_size);
		return HV_EIMAGE;
	}
	/*
	 * build.c ends the image with a CRC of everything before it. A signed
	 * image (e.g. Debian's vmlinuz) has its PE header rewritten and a
	 * signature appended: no CRC to check then, only the sizes above.
	 */
	size_t end = img->setup_size + img->payload_size;

	if (end == img->size &&
	    bzimage_crc(img->data, end - 4) != le32(img->data + end - 4)) {
		PVX_HV_LOG("%s: corrupt bzImage: checksum mismatch", path);
		return HV_EIMAGE;
	}
	img->cmdline_max = hdr->cmdline_size + 1;
	img->initrd_max = hdr->initrd_addr_max;
	/*
	 * Where the kernel runs, and how much it needs there, from 2.10 on;
	 * before, those header bytes are not fields, and it needs at least
	 * its payload at 1 MiB.
	 */
	img->kernel_end = KERNEL_ADDR + img->payload_size;
	if (hdr->version >= INIT_SIZE_VERSION) {
		uint64_t base = hdr->pref_address > KERNEL_ADDR ? hdr->pref_address : KERNEL_ADDR;

		if (base > MEM_MAX || base + hdr->init_size > MEM_MAX) {
			PVX_HV_LOG("%s: corrupt bzImage: it would run at %#llx, beyond the %llu MiB "
				   "pvx-hv can give", path, (unsigned long long)base,
				   (unsigned long long)(MEM_MAX >> 20));
			return HV_EIMAGE;
		}
		if (base + hdr->init_size > img->kernel_end)	/* else a lying init_size */
			img->kernel_end = base + hdr->init_size;
	}
	img->need = ALIGN_UP(img->kernel_end, 2 * SZ_1M) + RUN_ROOM;
	return 0;
}

/*
 * The initrd's address: page-aligned, as high as the kernel allows
 * (initrd_addr_max) below the end of RAM, and above the kernel.  One
 * message and HV_EMEM if it does not fit there.
 */
int initrd_place(const struct image *img, uint64_t ram_size, size_t initrd_size, uint64_t *at)
{
	uint64_t top = ram_size;

	if (top > (uint64_t)img->initrd_max + 1)
		top = (uint64_t)img->initrd_max + 1;
	if (initrd_size > top || ((top - initrd_size) & ~0xfffULL) < img->kernel_end) {
		PVX_HV_LOG("--initrd: %zu bytes do not fit between the kernel's end (%#llx) and "
			   "the highest address the kernel takes an initrd at (%#llx)", initrd_size,
			   (unsigned long long)img->kernel_end, (unsigned long long)top);
		return HV_EMEM;
	}
	*at = (top - initrd_size) & ~0xfffULL;
	return 0;
}

static void e820_add(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

void boot_setup(struct vm *vm, const struct image *img, const uint8_t *initrd,
		size_t initrd_size, uint64_t initrd_at, const char *cmdline)
{
	struct boot_params *bp = (void *)(vm->ram + BOOT_PARAMS_ADDR);
	const uint8_t *src = img->data + HDR_OFFSET;
	size_t hdr_len = 0x202 + img->data[0x201] - HDR_OFFSET;

	/* The setup header is copied as the image has it, then filled in. */
	memset(bp, 0, sizeof(*bp));
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, src, hdr_len);
	bp->hdr.type_of_loader = 0xff;			/* "undefined" */
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = CMDLINE_ADDR;
	strcpy((char *)vm->ram + CMDLINE_ADDR, cmdline);

	memcpy(vm->ram + KERNEL_ADDR, img->data + img->setup_size, img->payload_size);

	if (initrd_size) {		/* initrd_place() chose initrd_at */
		memcpy(vm->ram + initrd_at, initrd, initrd_size);
		bp->hdr.ramdisk_image = initrd_at;
		bp->hdr.ramdisk_size = initrd_size;
	}

	/* Below 1 MiB: the MP table, VGA and ROM hole, ACPI tables, BIOS area. */
	e820_add(bp, 0, MPTABLE_ADDR, E820_RAM);
	e820_add(bp, MPTABLE_ADDR, ACPI_NVS_ADDR - MPTABLE_ADDR, E820_RESERVED);
	e820_add(bp, ACPI_NVS_ADDR, ACPI_TABLES_ADDR - ACPI_NVS_ADDR, E820_NVS);
	e820_add(bp, ACPI_TABLES_ADDR, RSDP_ADDR - ACPI_TABLES_ADDR, E820_ACPI);
	e820_add(bp, RSDP_ADDR, BIOS_END - RSDP_ADDR, E820_RESERVED);
	e820_add(bp, BIOS_END, vm->ram_size - BIOS_END, E820_RAM);
	bp->acpi_rsdp_addr = RSDP_ADDR;			/* boot protocol 2.14 */
}

/* Flat 4 GiB protected mode, paging off: what the 32-bit entry expects. */
int vcpu_boot_regs(struct vcpu *c, uint64_t entry)
{
	struct kvm_sregs s;
	struct kvm_regs r = {
		.rip = entry,
		.rsi = BOOT_PARAMS_ADDR,
		.rflags = 0x2,
	};
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10,
		.type = 0xb, .present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
	struct kvm_segment data = code;

	data.selector = 0x18;
	data.type = 0x3;
	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.cr0 |= 1;					/* PE */
	s.cr0 &= ~0x80000000ULL;			/* PG */
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return -1;
	return ioctl(c->fd, KVM_SET_REGS, &r);
}

/*
 * MP table (Intel MultiProcessor Specification 1.4): one processor entry
 * per vCPU, the ISA bus, KVM's in-kernel IOAPIC with ISA IRQ n on pin n
 * (KVM's default routing), ExtINT and NMI on the local APICs' LINT0/1.
 */
struct mpf {
	char sig[4];
	uint32_t physptr;
	uint8_t length, rev, checksum, feature[5];
} __attribute__((packed));

struct mpc_header {
	char sig[4];
	uint16_t length;
	uint8_t rev, checksum;
	char oem[8], product[12];
	uint32_t oemptr;
	uint16_t oemsize, count;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, flags;
	uint32_t signature, features, reserved[2];
} __attribute__((packed));

struct mpc_entry {		/* bus, ioapic, irq and lint entries: 8 bytes */
	uint8_t type, b[7];
} __attribute__((packed));

/* The byte that makes a table's bytes sum to 0 (MP and ACPI tables). */
uint8_t table_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return -sum;
}

/* With MAX_CPUS: the processors, the bus, the IOAPIC, 16 IRQs, 2 LINTs. */
_Static_assert(sizeof(struct mpc_header) + MAX_CPUS * sizeof(struct mpc_cpu) +
	       (2 + 16 + 2) * sizeof(struct mpc_entry) <= MPF_ADDR - MPTABLE_ADDR,
	       "the MP table must end below its floating pointer");

void mptable_setup(struct vm *vm)
{
	struct mpf *mpf = (void *)(vm->ram + MPF_ADDR);
	struct mpc_header *mpc = (void *)(vm->ram + MPTABLE_ADDR);
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint32_t sig = 0x600, features = 0x201;		/* FPU, APIC */
	int count = 0;

	for (uint32_t i = 0; i < vm->cpuid->nent; i++)
		if (vm->cpuid->entries[i].function == 1) {
			sig = vm->cpuid->entries[i].eax;
			features = vm->cpuid->entries[i].edx;
		}
	for (int i = 0; i < vm->ncpus; i++, count++) {
		struct mpc_cpu cpu = {
			.type = 0, .apicid = i, .apicver = 0x14,
			.flags = 1 | (i == 0 ? 2 : 0),	/* enabled, boot CPU */
			.signature = sig, .features = features,
		};
		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	struct mpc_entry bus = { 1, { 0, 'I', 'S', 'A', ' ', ' ', ' ' } };
	struct mpc_entry ioapic = { 2, { ioapic_id(vm), 0x11, 1 } };

	memcpy(ioapic.b + 3, &(uint32_t){ IOAPIC_ADDR }, 4);
	memcpy(p, &bus, 8), p += 8, count++;
	memcpy(p, &ioapic, 8), p += 8, count++;
	for (uint8_t irq = 0; irq < 16; irq++, count++) {
		/* type 3 (I/O irq), INT, default polarity, bus 0, irq -> pin */
		struct mpc_entry e = { 3, { 0, 0, 0, 0, irq, ioapic_id(vm), irq } };

		memcpy(p, &e, 8), p += 8;
	}
	struct mpc_entry lint0 = { 4, { 3, 0, 0, 0, 0, 0xff, 0 } };	/* ExtINT */
	struct mpc_entry lint1 = { 4, { 1, 0, 0, 0, 0, 0xff, 1 } };	/* NMI */

	memcpy(p, &lint0, 8), p += 8, count++;
	memcpy(p, &lint1, 8), p += 8, count++;

	memcpy(mpc->sig, "PCMP", 4);
	mpc->length = p - (uint8_t *)mpc;
	mpc->rev = 4;
	memcpy(mpc->oem, "PVX     ", 8);
	memcpy(mpc->product, "PVX-HV      ", 12);
	mpc->count = count;
	mpc->lapic = LAPIC_ADDR;
	mpc->checksum = table_checksum(mpc, mpc->length);

	memcpy(mpf->sig, "_MP_", 4);
	mpf->physptr = MPTABLE_ADDR;
	mpf->length = 1;
	mpf->rev = 4;
	mpf->checksum = table_checksum(mpf, sizeof(*mpf));
}
