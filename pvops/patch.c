// SPDX-License-Identifier: GPL-2.0
/*
 * pvx site patcher.
 *
 * Every site starts in its native form (see asm/pvx.h).  Once the backend
 * is chosen, each site is rewritten exactly once, through the kernel's own
 * text-poke primitives, to one of:
 *
 *   inline  the op's native template followed by optimal NOPs, when the
 *           backend left the op native and the op has a template;
 *   direct  a rel32 call to the backend's function (a callee-save thunk
 *           for SITE_CS ops) followed by NOPs;
 *   nop     NOPs only, when the backend set a void op to PVX_NOP.
 *
 * A site whose length, clobbers or current bytes are not what the patcher
 * expects is left alone, counted as unpatched and named in the log.
 */
#define pr_fmt(fmt) "pvx: " fmt

#include <linux/kernel.h>
#include <linux/memory.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>
#include <asm/nops.h>
#include <asm/pvx_backend.h>
#include <asm/text-patching.h>

#define CALL_OPCODE	0xe8
#define CALL_LEN	5

/*
 * One copy of every op's template, in .rodata, for the patcher to write.
 * The bytes come from the same PVX_OPS() string the sites are built from.
 */
#define __PVX_TMPL_ASM(g, n, kind, r, na, p, a, native, hdr, tmpl, ex)	\
	"pvx_tmpl_" #n ":\n\t" tmpl "\npvx_tmpl_" #n "_end:\n"

static void __used pvx_templates(void)
{
	asm volatile(".pushsection .rodata, \"a\"\n"
		     PVX_OPS(__PVX_TMPL_ASM)
		     ".popsection\n" : : );
}

/* Callee-save sites clobber only %rax: they need a template to start as. */
#define __PVX_CHECK_CS_TEMPLATE(g, n, kind, r, na, p, a, native, hdr, tmpl, ex) \
	static_assert(PVX_KIND_##kind != PVX_KIND_SITE_CS || sizeof(tmpl) > 1);
PVX_OPS(__PVX_CHECK_CS_TEMPLATE)

struct pvx_op_desc {
	const char *name;
	const char *group;
	const u8 *tmpl;
	const u8 *tmpl_end;
	unsigned short offset;
	u8 kind;
	bool is_void;
};

#define __PVX_DESC(g, n, k, r, ...)					\
	[PVX_OP_##n] = {						\
		.name = #n,						\
		.group = #g,						\
		.tmpl = pvx_tmpl_##n,					\
		.tmpl_end = pvx_tmpl_##n##_end,				\
		.offset = offsetof(struct pvx_ops, g.n),		\
		.kind = PVX_KIND_##k,				\
		.is_void = __builtin_types_compatible_p(r, void),	\
	},
static const struct pvx_op_desc pvx_op_descs[PVX_NR_OPS] = {
	PVX_OPS(__PVX_DESC)
};

static const char *const pvx_state_names[PVX_SITE_NR_STATES] = {
	[PVX_SITE_PENDING]	= "pending",
	[PVX_SITE_INLINE]	= "inline",
	[PVX_SITE_DIRECT]	= "direct",
	[PVX_SITE_NOP]		= "nop",
	[PVX_SITE_UNPATCHED]	= "unpatched",
};

/**
 * pvx_op_name() - the name of an op
 * @op: enum pvx_op_id
 *
 * Return: the op's name as declared in PVX_OPS(), or "?".
 */
const char *pvx_op_name(unsigned int op)
{
	return op < PVX_NR_OPS ? pvx_op_descs[op].name : "?";
}
EXPORT_SYMBOL_IF_KUNIT(pvx_op_name);

/**
 * pvx_state_name() - the name of a site state
 * @state: enum pvx_site_state
 *
 * Return: "inline", "direct", ... or "?".
 */
const char *pvx_state_name(unsigned int state)
{
	return state < PVX_SITE_NR_STATES ? pvx_state_names[state] : "?";
}
EXPORT_SYMBOL_IF_KUNIT(pvx_state_name);

/**
 * pvx_op_target() - what @ops holds for an op
 * @ops: an ops table
 * @op: enum pvx_op_id
 *
 * Return: the function (or callee-save thunk) the op's sites would call.
 */
void *pvx_op_target(const struct pvx_ops *ops, unsigned int op)
{
	if (op >= PVX_NR_OPS)
		return NULL;
	return *(void *const *)((const char *)ops + pvx_op_descs[op].offset);
}
EXPORT_SYMBOL_IF_KUNIT(pvx_op_target);

static unsigned int pvx_tmpl_len(const struct pvx_op_desc *d)
{
	return d->tmpl_end - d->tmpl;
}

static void pvx_fill_nops(u8 *buf, unsigned int len)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len, ASM_NOP_MAX);

		memcpy(buf, x86_nops[n], n);
		buf += n;
		len -= n;
	}
}

static bool pvx_make_call(u8 *buf, const u8 *addr, const void *target)
{
	long rel = (long)target - (long)(addr + CALL_LEN);

	if (rel != (s32)rel)
		return false;
	buf[0] = CALL_OPCODE;
	put_unaligned((s32)rel, (s32 *)(buf + 1));
	return true;
}

/* The bytes a site is emitted with (asm/pvx.h). */
static bool pvx_native_form(const struct pvx_site *s,
			    const struct pvx_op_desc *d, const u8 *addr,
			    u8 *buf)
{
	unsigned int tl = pvx_tmpl_len(d);

	if (tl) {
		memcpy(buf, d->tmpl, tl);
	} else {
		if (!pvx_make_call(buf, addr,
				   pvx_op_target(&pvx_native_ops, s->op)))
			return false;
		tl = CALL_LEN;
	}
	memset(buf + tl, 0x90, s->len - tl);
	return true;
}

/*
 * The bytes the patcher writes for @state: the template, a call to
 * @target or nothing, then optimal NOPs to the site's length.
 */
static bool pvx_patched_form(const struct pvx_site *s,
			     const struct pvx_op_desc *d,
			     enum pvx_site_state state, const u8 *addr,
			     const void *target, u8 *buf)
{
	unsigned int head;

	switch (state) {
	case PVX_SITE_INLINE:
		head = pvx_tmpl_len(d);
		if (!head)
			return false;
		memcpy(buf, d->tmpl, head);
		break;
	case PVX_SITE_DIRECT:
		if (!pvx_make_call(buf, addr, target))
			return false;
		head = CALL_LEN;
		break;
	case PVX_SITE_NOP:
		head = 0;
		break;
	default:
		return false;
	}
	pvx_fill_nops(buf + head, s->len - head);
	return true;
}

/*
 * Are the bytes at the site what the patcher left there (or what the
 * compiler emitted)?  Anything else means the record is stale or the text
 * was changed behind our back: do not touch it.  A direct site may call
 * any target: the one it had is read back from its rel32.
 */
static bool pvx_site_known(const struct pvx_site *s,
			   const struct pvx_op_desc *d, const u8 *addr)
{
	u8 buf[PVX_SITE_MAX_LEN];
	const void *target = NULL;

	if (pvx_native_form(s, d, addr, buf) && !memcmp(addr, buf, s->len))
		return true;

	if (s->state == PVX_SITE_DIRECT) {
		if (addr[0] != CALL_OPCODE)
			return false;
		target = addr + CALL_LEN + get_unaligned((s32 *)(addr + 1));
	}
	return pvx_patched_form(s, d, s->state, addr, target, buf) &&
	       !memcmp(addr, buf, s->len);
}

/*
 * Work out what a site should become under @ops.  Returns NULL and fills
 * @buf and @state, or the reason the site cannot be patched.
 */
static const char *pvx_plan(const struct pvx_site *s,
			    const struct pvx_ops *ops, const u8 *addr,
			    u8 *buf, enum pvx_site_state *state)
{
	const struct pvx_op_desc *d;
	unsigned int tl, need;
	void *target, *nop;

	if (s->op >= PVX_NR_OPS)
		return "unknown op";
	d = &pvx_op_descs[s->op];
	if (d->kind != PVX_KIND_SITE_CS && d->kind != PVX_KIND_SITE_C)
		return "op has no sites";

	tl = pvx_tmpl_len(d);
	if (s->len < PVX_SITE_MIN_LEN || s->len > PVX_SITE_MAX_LEN ||
	    s->len < tl)
		return "unexpected length";

	need = d->kind == PVX_KIND_SITE_CS ? PVX_CLOBBER_SITE_CS :
					     PVX_CLOBBER_SITE_C;
	if ((s->clobbers & need) != need)
		return "site clobbers fewer registers than the op's convention";

	if (!pvx_site_known(s, d, addr))
		return "unexpected bytes";

	target = pvx_op_target(ops, s->op);
	if (!target)
		return "no target";
	nop = d->kind == PVX_KIND_SITE_CS ? (void *)__raw_callee_save_pvx_nop :
					    (void *)pvx_nop;

	if (target == nop) {
		if (!d->is_void)
			return "NOP requested for an op with a result";
		*state = PVX_SITE_NOP;
	} else if (tl && target == pvx_op_target(&pvx_native_ops, s->op)) {
		*state = PVX_SITE_INLINE;
	} else {
		*state = PVX_SITE_DIRECT;
	}
	if (!pvx_patched_form(s, d, *state, addr, target, buf))
		return "target out of rel32 range";
	return NULL;
}

/* text_poke_early() is __init_or_module; only boot and module load use it. */
static void __ref pvx_poke(void *addr, const u8 *buf, unsigned int len,
			   bool early)
{
	if (early) {
		text_poke_early(addr, buf, len);
		return;
	}
	mutex_lock(&text_mutex);
	text_poke(addr, buf, len);
	mutex_unlock(&text_mutex);
	text_poke_sync();
}

/**
 * pvx_patch_site() - rewrite one site for @ops
 * @s: the site record
 * @ops: the ops table to patch for
 * @early: boot or module load (text_poke_early()); else text_poke()
 *
 * Return: the site's new state; PVX_SITE_UNPATCHED if it was refused,
 * with the reason in the log.  A refused site is left as it was: a site
 * never patched is marked unpatched, a patched one keeps its state.
 */
enum pvx_site_state pvx_patch_site(struct pvx_site *s,
				   const struct pvx_ops *ops, bool early)
{
	u8 *addr = pvx_site_addr(s);
	enum pvx_site_state state = PVX_SITE_UNPATCHED;
	u8 buf[PVX_SITE_MAX_LEN];
	const char *why;

	why = pvx_plan(s, ops, addr, buf, &state);
	if (why) {
		pr_warn("site %pS (op %s) not patched: %s\n", addr,
			pvx_op_name(s->op), why);
		/* A patched site keeps its (untouched) bytes and state. */
		if (s->state == PVX_SITE_PENDING)
			s->state = PVX_SITE_UNPATCHED;
		return PVX_SITE_UNPATCHED;
	}
	if (memcmp(addr, buf, s->len))
		pvx_poke(addr, buf, s->len, early);
	s->state = state;
	return state;
}
EXPORT_SYMBOL_IF_KUNIT(pvx_patch_site);

/**
 * pvx_site_check() - do a site's bytes match its recorded state?
 * @s: the site record
 * @ops: the ops table the site was patched for
 *
 * Return: 0 if the bytes are exactly what the patcher writes for @ops in
 * the site's state, -EINVAL otherwise (or if the site was not patched).
 */
int pvx_site_check(const struct pvx_site *s, const struct pvx_ops *ops)
{
	const u8 *addr = pvx_site_addr(s);
	enum pvx_site_state state;
	u8 buf[PVX_SITE_MAX_LEN];
	struct pvx_site tmp = *s;

	if (s->state != PVX_SITE_INLINE && s->state != PVX_SITE_DIRECT &&
	    s->state != PVX_SITE_NOP)
		return -EINVAL;
	if (pvx_plan(&tmp, ops, addr, buf, &state) || state != s->state)
		return -EINVAL;
	return memcmp(addr, buf, s->len) ? -EINVAL : 0;
}
EXPORT_SYMBOL_IF_KUNIT(pvx_site_check);

/**
 * pvx_patch_sites() - patch a range of site records
 * @start: first record
 * @end: one past the last record
 * @ops: the ops table to patch for
 * @early: see pvx_patch_site()
 * @st: counts to add to
 */
void pvx_patch_sites(struct pvx_site *start, struct pvx_site *end,
		     const struct pvx_ops *ops, bool early,
		     struct pvx_patch_stats *st)
{
	struct pvx_site *s;

	for (s = start; s < end; s++) {
		st->sites++;
		st->state[pvx_patch_site(s, ops, early)]++;
	}
}

extern struct pvx_site __pvx_sites_start[], __pvx_sites_end[];

/**
 * pvx_core_sites() - the sites of the kernel image
 * @n: set to their number
 *
 * Return: the first record.
 */
struct pvx_site *pvx_core_sites(unsigned int *n)
{
	*n = __pvx_sites_end - __pvx_sites_start;
	return __pvx_sites_start;
}
EXPORT_SYMBOL_IF_KUNIT(pvx_core_sites);
