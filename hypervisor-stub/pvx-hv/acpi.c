// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal ACPI tables (ACPI 6.0), built once at boot below 1 MiB:
 *
 *   RSDP  at RSDP_ADDR, in the BIOS area 0xe0000-0xfffff that guests scan,
 *         and in boot_params.acpi_rsdp_addr (boot.c);
 *   FACS  at ACPI_NVS_ADDR (e820 ACPI NVS);
 *   XSDT -> FADT, MADT; FADT -> DSDT, FACS    from ACPI_TABLES_ADDR (e820 ACPI).
 *
 * The FADT describes the fixed hardware devices.c serves: PM1a event and
 * control blocks, the PM timer, the reset register, SCI on ISA IRQ 9, no
 * SMI command port (the machine is always in ACPI mode), no GPE blocks, not
 * hardware-reduced. The DSDT only holds \_S5, so a guest powers off by
 * writing SLP_TYP = ACPI_SLP_TYP_S5 | SLP_EN to PM1a control, which ends
 * pvx-hv with status 0. The MADT lists the vCPUs' local APICs, KVM's
 * in-kernel IOAPIC, the SCI's interrupt override and the LINT1 NMI: the same
 * machine as the MP table (boot.c), which stays for guests without ACPI.
 */
#include <string.h>

#include "pvx-hv.h"

#define OEM_ID		"PVX   "	/* 6 bytes */
#define OEM_TABLE_ID	"PVX-HV  "	/* 8 bytes */
#define CREATOR_ID	"PVX "

struct acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char sig[8];			/* "RSD PTR " */
	uint8_t checksum;		/* of the first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 2: ACPI 2.0+, has the XSDT */
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;		/* of all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {			/* Generic Address Structure */
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

#define GAS_IO		1

struct acpi_fadt {			/* revision 6: 276 bytes */
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");

/* FADT flags and IA-PC boot architecture flags (ACPI 6.0, 5.2.9). */
#define FADT_WBINVD		(1u << 0)
#define FADT_C1_SUPPORTED	(1u << 2)
#define FADT_POWER_BUTTON	(1u << 4)	/* no fixed power button */
#define FADT_SLEEP_BUTTON	(1u << 5)	/* no fixed sleep button */
#define FADT_FIXED_RTC		(1u << 6)	/* no RTC wake status in PM1 */
#define FADT_32BIT_TIMER	(1u << 8)
#define FADT_RESET_REGISTER	(1u << 10)
#define BOOT_LEGACY_DEVICES	(1u << 0)	/* ISA devices: COM1, RTC */
#define BOOT_8042		(1u << 1)
#define BOOT_NO_VGA		(1u << 2)

struct acpi_facs {
	char sig[4];
	uint32_t length;
	uint32_t hw_signature, waking_vector, global_lock, flags;
	uint64_t x_waking_vector;
	uint8_t version, reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

struct madt_lapic {			/* type 0 */
	uint8_t type, length, uid, apic_id;
	uint32_t flags;			/* bit 0: enabled */
} __attribute__((packed));

struct madt_ioapic {			/* type 1 */
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_override {			/* type 2: ISA IRQ -> GSI */
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;			/* polarity bits 0-1, trigger bits 2-3 */
} __attribute__((packed));

#define MPS_ACTIVE_HIGH		0x1
#define MPS_LEVEL		(0x3 << 2)

struct madt_lapic_nmi {			/* type 4 */
	uint8_t type, length, uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

#define MADT_PCAT_COMPAT	1	/* dual 8259s too (KVM's PIC) */
#define MADT_ALL_CPUS		0xff
#define MADT_MAX_SIZE		(sizeof(struct acpi_header) + 8 + \
				 MAX_CPUS * sizeof(struct madt_lapic) + sizeof(struct madt_ioapic) + \
				 sizeof(struct madt_override) + sizeof(struct madt_lapic_nmi))

/*
 * The DSDT's AML, after the header: one object,
 *
 *   Name (_S5, Package (0x04) { ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5, Zero, Zero })
 *
 *   08           NameOp
 *   5f 53 35 5f  NameString "_S5_"
 *   12           PackageOp
 *   08           PkgLength: 8 bytes, this byte to the end of the package
 *   04           NumElements
 *   0a nn        BytePrefix nn: SLP_TYPa, what PM1a control gets
 *   0a nn        BytePrefix nn: SLP_TYPb (there is no PM1b block)
 *   00 00        ZeroOp ZeroOp: reserved
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',
	0x12, 0x08, 0x04,
	0x0a, ACPI_SLP_TYP_S5,
	0x0a, ACPI_SLP_TYP_S5,
	0x00, 0x00,
};

/* h starts a table of length bytes, filled in but for its header. */
static void header(struct acpi_header *h, const char *sig, uint32_t length, uint8_t revision)
{
	memcpy(h->sig, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = table_checksum(h, length);
}

/* Everything from ACPI_TABLES_ADDR, each table rounded up to 16 bytes. */
_Static_assert(ACPI_TABLES_ADDR + 4 * 16 + sizeof(struct acpi_header) * 2 + sizeof(dsdt_aml) +
	       sizeof(struct acpi_fadt) + MADT_MAX_SIZE + 2 * 8 <= RSDP_ADDR,
	       "the ACPI tables fit below the RSDP");
_Static_assert(ACPI_NVS_ADDR % 64 == 0 && ACPI_NVS_ADDR + 64 <= ACPI_TABLES_ADDR,
	       "the FACS is 64-byte aligned, below the other tables");

static struct acpi_gas io_gas(uint16_t port, uint8_t len)
{
	return (struct acpi_gas){ .space = GAS_IO, .bit_width = len * 8, .address = port };
}

/* Append n bytes at *at (16-byte aligned), return their guest address. */
static uint64_t place(struct vm *vm, uint64_t *at, const void *p, size_t n)
{
	uint64_t gpa = *at;

	memcpy(vm->ram + gpa, p, n);
	*at = (gpa + n + 15) & ~15ULL;
	return gpa;
}

static uint64_t madt_build(struct vm *vm, uint64_t *at)
{
	struct {
		struct acpi_header h;
		uint8_t body[MADT_MAX_SIZE - sizeof(struct acpi_header)];
	} __attribute__((packed)) madt;
	uint8_t *p = madt.body;
	uint32_t lapic = LAPIC_ADDR, flags = MADT_PCAT_COMPAT;
	struct madt_ioapic io = { 1, sizeof(io), ioapic_id(vm), 0, IOAPIC_ADDR, 0 };
	/* KVM's default routing is ISA IRQ n on pin n; the SCI is level, high. */
	struct madt_override sci = { 2, sizeof(sci), 0, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
				     MPS_ACTIVE_HIGH | MPS_LEVEL };
	struct madt_lapic_nmi nmi = { 4, sizeof(nmi), MADT_ALL_CPUS, 0, 1 };

	memcpy(p, &lapic, 4), p += 4;
	memcpy(p, &flags, 4), p += 4;
	for (int i = 0; i < vm->ncpus; i++) {
		struct madt_lapic e = { 0, sizeof(e), i, i, 1 };	/* enabled */

		memcpy(p, &e, sizeof(e)), p += sizeof(e);
	}
	memcpy(p, &io, sizeof(io)), p += sizeof(io);
	memcpy(p, &sci, sizeof(sci)), p += sizeof(sci);
	memcpy(p, &nmi, sizeof(nmi)), p += sizeof(nmi);
	header(&madt.h, "APIC", p - (uint8_t *)&madt, 3);
	return place(vm, at, &madt, p - (uint8_t *)&madt);
}

void acpi_setup(struct vm *vm)
{
	uint64_t at = ACPI_TABLES_ADDR;
	struct acpi_facs facs = { .sig = "FACS", .length = sizeof(facs), .version = 2 };
	struct acpi_fadt fadt = {
		.pm_profile = 0,			/* unspecified */
		.sci_int = ACPI_SCI_IRQ,
		.pm1a_evt_blk = ACPI_PM1A_EVT, .pm1_evt_len = ACPI_PM1_EVT_LEN,
		.pm1a_cnt_blk = ACPI_PM1A_CNT, .pm1_cnt_len = ACPI_PM1_CNT_LEN,
		.pm_tmr_blk = ACPI_PM_TMR, .pm_tmr_len = ACPI_PM_TMR_LEN,
		.p_lvl2_lat = 101, .p_lvl3_lat = 1001,	/* no C2, no C3 */
		.century = RTC_CENTURY,
		.iapc_boot_arch = BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_NO_VGA,
		.flags = FADT_WBINVD | FADT_C1_SUPPORTED | FADT_POWER_BUTTON |
			 FADT_SLEEP_BUTTON | FADT_FIXED_RTC | FADT_RESET_REGISTER |
			 (ACPI_PM_TMR_BITS == 32 ? FADT_32BIT_TIMER : 0),
		.reset_reg = io_gas(RESET_PORT, 1),
		.reset_value = RESET_VALUE,
		.x_pm1a_evt_blk = io_gas(ACPI_PM1A_EVT, ACPI_PM1_EVT_LEN),
		.x_pm1a_cnt_blk = io_gas(ACPI_PM1A_CNT, ACPI_PM1_CNT_LEN),
		.x_pm_tmr_blk = io_gas(ACPI_PM_TMR, ACPI_PM_TMR_LEN),
	};
	struct {
		struct acpi_header h;
		uint8_t aml[sizeof(dsdt_aml)];
	} __attribute__((packed)) dsdt;
	struct {
		struct acpi_header h;
		uint64_t entry[2];		/* FADT, MADT */
	} __attribute__((packed)) xsdt;
	struct acpi_rsdp rsdp = {
		.sig = "RSD PTR ", .oem_id = OEM_ID, .revision = 2, .length = sizeof(rsdp),
	};

	memcpy(vm->ram + ACPI_NVS_ADDR, &facs, sizeof(facs));
	fadt.x_firmware_ctrl = ACPI_NVS_ADDR;

	memcpy(dsdt.aml, dsdt_aml, sizeof(dsdt_aml));
	header(&dsdt.h, "DSDT", sizeof(dsdt), 2);
	fadt.x_dsdt = place(vm, &at, &dsdt, sizeof(dsdt));

	header(&fadt.h, "FACP", sizeof(fadt), 6);
	xsdt.entry[0] = place(vm, &at, &fadt, sizeof(fadt));
	xsdt.entry[1] = madt_build(vm, &at);
	header(&xsdt.h, "XSDT", sizeof(xsdt), 1);
	rsdp.xsdt = place(vm, &at, &xsdt, sizeof(xsdt));

	rsdp.checksum = table_checksum(&rsdp, 20);
	rsdp.ext_checksum = table_checksum(&rsdp, sizeof(rsdp));
	memcpy(vm->ram + RSDP_ADDR, &rsdp, sizeof(rsdp));
}
