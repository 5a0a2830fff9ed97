// SPDX-License-Identifier: GPL-2.0
/*
 * pvx-hv's command line: the flags, their checks (each a usage error,
 * status 64, with one message), --help with the exit statuses of
 * HV_STATUSES, --version.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pvx/abi.h>
#include <pvxhv.h>

#include "pvx-hv.h"

#define DEFAULT_MEM	(512 * SZ_1M)
/*
 * Offered by default: all but TIMER.  Its set_timer and its expiry are
 * two exits to this process per timer event, where KVM handles the LAPIC
 * timer itself; measured no cheaper
 * (Documentation/virt/pvx/measurements.rst).
 */
#define PVX_HV_FEATURES	(~PVX_FEATURE(TIMER))
#define DEFAULT_TIMEOUT	600

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
	"      --hostile MODE     lie on purpose, for tests: one of the modes below\n"
	"      --reinstance SECONDS  every SECONDS, save libpvxhv's state, destroy it,\n"
	"                         and restore the state into a new instance (tests)\n"
	"      --keep-records     libpvxhv keeps every shared-page record (default: KVM\n"
	"                         keeps time, steal, PV EOI and wall clock where it can)\n"
	"  -s, --stats            print VM exits, hypercalls and KVM's own counters\n"
	"                         at exit (stderr)\n"
	"  -k, --kvm PATH         KVM device (default /dev/kvm)\n"
	"  -h, --help             this text\n"
	"  -V, --version          pvx-hv's version, the PVX ABI and libpvxhv API it uses\n";

#define STATUS_ROW(name, value, shown, what)	{ shown, what },
static const struct { const char *shown, *what; } statuses[] = {
	HV_STATUSES(STATUS_ROW)
};
#undef STATUS_ROW

static void usage(FILE *f)
{
	fputs(usage_text, f);
	fputs("hostile modes (hostile.c):\n", f);
	for (int m = HOSTILE_NONE + 1; m < HOSTILE_COUNT; m++)
		fprintf(f, "  %-24s %s\n", hostile_name(m), hostile_what(m));
	fputs("exit status:\n", f);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].shown)
			fprintf(f, "  %-6s %s\n", statuses[i].shown, statuses[i].what);
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "pvx-hv: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'pvx-hv --help'.\n");
	va_end(ap);
	return HV_EUSAGE;
}

/* "--hostile: 'x' is not a mode; modes: a, b, ..." */
static int hostile_error(const char *arg)
{
	fprintf(stderr, "pvx-hv: --hostile: '%s' is not a mode; modes:", arg);
	for (int m = HOSTILE_NONE + 1; m < HOSTILE_COUNT; m++)
		fprintf(stderr, "%s %s", m > HOSTILE_NONE + 1 ? "," : "", hostile_name(m));
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

/* The ABI's feature names, lower case, without PVX_FEATURE_BIT_. */
#define FEATURE_NAME(since, name, bit, doc)	{ #name, bit },
static const struct { const char *name; int bit; } feature_names[] = {
	PVX_FEATURES(FEATURE_NAME)
};

#undef FEATURE_NAME

/* "1.N": a minor of the major this pvx-hv serves, up to the latest. */
static int parse_abi(const char *s, uint32_t *abi)
{
	unsigned int major, minor;
	int n = 0;

	if (sscanf(s, "%u.%u%n", &major, &minor, &n) != 2 || s[n] ||
	    major != PVX_ABI_VERSION_MAJOR || minor > PVX_ABI_VERSION_MINOR)
		return -1;
	*abi = PVX_ABI_VERSION(major, minor);
	return 0;
}

/*
 * "a,b": exactly these features.  "+a,-b": the default *features with a
 * added and b taken away; a list that starts with a sign edits it.
 */
static int parse_features(const char *list, uint64_t *features)
{
	const size_t skip = sizeof("PVX_FEATURE_BIT_") - 1;
	char buf[256], *tok, *save = NULL;
	uint64_t bit;
	size_t i;

	if (strlen(list) >= sizeof(buf))
		return -1;
	if (*list != '+' && *list != '-')
		*features = 0;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *name = tok + (*tok == '+' || *tok == '-');

		for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (!strcasecmp(name, feature_names[i].name + skip))
				break;
		if (i == sizeof(feature_names) / sizeof(feature_names[0]))
			return -1;
		bit = 1ull << feature_names[i].bit;
		if (*tok == '-')
			*features &= ~bit;
		else
			*features |= bit;
	}
	return 0;
}

int parse_options(int argc, char **argv, struct options *o)
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
		{ "keep-records", no_argument, NULL, 'K' },
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
			if (parse_abi(optarg, &o->pvx_abi))
				return usage_error("--abi: '%s' is not a PVX version this pvx-hv serves", optarg);
			break;
		case 'H':
			if (hostile_parse(optarg, &o->hostile))
				return hostile_error(optarg);
			break;
		case 'R':
			if (!parse_uint(optarg, 86400, &v) || !v)
				return usage_error("--reinstance: '%s' is not a number of seconds", optarg);
			o->reinstance = v;
			break;
		case 'K':
			o->keep_records = true;
			break;
		case 'F':
			if (parse_features(optarg, &o->pvx_features))
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
	if (o->reinstance && o->pers != PERS_PVX && o->pers != PERS_BOTH)
		return usage_error("--reinstance needs libpvxhv: --personality pvx or both%s", "");
	if (o->keep_records && o->pers != PERS_PVX && o->pers != PERS_BOTH)
		return usage_error("--keep-records needs libpvxhv: --personality pvx or both%s", "");
	o->kernel = argv[optind];
	return 0;
}
