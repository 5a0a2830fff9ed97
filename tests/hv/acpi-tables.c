// SPDX-License-Identifier: GPL-2.0
/*
 * pvx-hv's ACPI tables for N vCPUs, built by its own acpi.c into a buffer
 * the size of the first MiB, then checked the way a guest finds them: the
 * RSDP by the 0xe0000-0xfffff scan, every checksum, the XSDT's entries, the
 * FADT's DSDT and FACS. Each table is written to OUTDIR/SIG.dat for iasl.
 * Prints one line per problem and exits 1 if there was any.
 * Usage: acpi-tables NCPUS OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvx-hv.h"

#define FADT_X_FACS	132		/* offsets in the FADT (ACPI 6.0) */
#define FADT_X_DSDT	140

static int errors;

static void bad(const char *what, const char *sig)
{
	printf("acpi-tables: %.4s: %s\n", sig, what);
	errors++;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* A table at gpa: inside the first MiB, summing to 0; written out. */
static const uint8_t *table(const uint8_t *ram, uint64_t gpa, const char *dir)
{
	const uint8_t *t = ram + gpa;
	uint32_t len = gpa + 8 <= BIOS_END ? rd32(t + 4) : 0;
	char path[4096];
	FILE *f;

	if (gpa < ACPI_NVS_ADDR || gpa + len > RSDP_ADDR || len < 36) {
		bad("outside the ACPI area or too short", gpa + 4 <= BIOS_END ? (const char *)t : "????");
		return NULL;
	}
	if (sum(t, len))
		bad("checksum", (const char *)t);
	snprintf(path, sizeof(path), "%s/%.4s.dat", dir, (const char *)t);
	f = fopen(path, "wb");
	if (!f || fwrite(t, 1, len, f) != len || fclose(f))
		bad("cannot write the .dat file", (const char *)t);
	return t;
}

int main(int argc, char **argv)
{
	struct vm vm = { 0 };
	const uint8_t *rsdp = NULL, *xsdt, *fadt = NULL;

	if (argc != 3 || atoi(argv[1]) < 1 || atoi(argv[1]) > MAX_CPUS) {
		fprintf(stderr, "usage: acpi-tables NCPUS OUTDIR\n");
		return 2;
	}
	vm.ncpus = atoi(argv[1]);
	vm.ram = calloc(1, BIOS_END);
	if (!vm.ram)
		return 2;
	acpi_setup(&vm);

	for (uint64_t a = 0xe0000; a < BIOS_END && !rsdp; a += 16)	/* Linux's scan */
		if (!memcmp(vm.ram + a, "RSD PTR ", 8))
			rsdp = vm.ram + a;
	if (!rsdp) {
		bad("no RSDP in 0xe0000-0xfffff", "RSDP");
		return 1;
	}
	if (rsdp - vm.ram != RSDP_ADDR)
		bad("not at RSDP_ADDR (boot_params.acpi_rsdp_addr)", "RSDP");
	if (sum(rsdp, 20) || sum(rsdp, rd32(rsdp + 20)) || rsdp[15] < 2)
		bad("checksum, extended checksum or revision", "RSDP");

	xsdt = table(vm.ram, rd64(rsdp + 24), argv[2]);
	if (!xsdt || memcmp(xsdt, "XSDT", 4)) {
		bad("the RSDP's XSDT address", "XSDT");
		return 1;
	}
	for (uint32_t o = 36; o + 8 <= rd32(xsdt + 4); o += 8) {
		const uint8_t *t = table(vm.ram, rd64(xsdt + o), argv[2]);

		if (t && !memcmp(t, "FACP", 4))
			fadt = t;
	}
	if (!fadt) {
		bad("not in the XSDT", "FACP");
		return 1;
	}
	if (!table(vm.ram, rd64(fadt + FADT_X_DSDT), argv[2]))
		bad("the FADT's X_DSDT", "DSDT");

	uint64_t facs = rd64(fadt + FADT_X_FACS);

	if (facs % 64 || facs < ACPI_NVS_ADDR || facs + 64 > ACPI_TABLES_ADDR ||
	    memcmp(vm.ram + facs, "FACS", 4) || rd32(vm.ram + facs + 4) != 64)
		bad("the FADT's X_FIRMWARE_CTRL: not a 64-byte aligned FACS in ACPI NVS", "FACS");

	/*
	 * The MP table (boot.c): its floating pointer where Linux scans (the
	 * last KiB of base memory), one processor entry per vCPU, and the
	 * table below the pointer.
	 */
	static struct kvm_cpuid2 no_cpuid;
	const uint8_t *mpf = vm.ram + MPF_ADDR, *mpc;
	uint32_t at;

	vm.cpuid = &no_cpuid;
	mptable_setup(&vm);
	at = rd32(mpf + 4);
	mpc = vm.ram + (at < MPF_ADDR ? at : 0);
	/* Linux's smp_scan_config() looks at 639 KiB to 640 KiB, among others */
	if (MPF_ADDR < 0x9fc00 || MPF_ADDR + 16 > 0xa0000 ||
	    memcmp(mpf, "_MP_", 4) || sum(mpf, 16))
		bad("no MP floating pointer in the last KiB of base memory", "_MP_");
	else if (at + 44 > MPF_ADDR || memcmp(mpc, "PCMP", 4))
		bad("no MP table below the floating pointer", "PCMP");
	else if (at + (mpc[4] | mpc[5] << 8) > MPF_ADDR)
		bad("the MP table runs into its floating pointer", "PCMP");
	else if (sum(mpc, mpc[4] | mpc[5] << 8) || (mpc[34] | mpc[35] << 8) != vm.ncpus + 20)
		bad("checksum, or not one entry per vCPU and 20 others", "PCMP");
	return errors ? 1 : 0;
}
