// SPDX-License-Identifier: GPL-2.0
/*
 * pvx native backend: every op as the machine does it.
 *
 * The functions pvx_native_<op>() and the table pvx_native_ops are
 * generated from PVX_OPS(): each is an out-of-line copy of the mainline
 * native helper named in the op's @native column.  The patcher never calls
 * them for ops that have an inline template; they exist for sites without
 * one (a direct call), for the callee-save thunks, and as the values a
 * backend leaves in struct pvx_ops for the ops it does not override.
 */
#include <linux/export.h>
#include <linux/reboot.h>
#include <kunit/visibility.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/paravirt.h>
#include <asm/processor.h>
#include <asm/pvx_backend.h>
#include <asm/special_insns.h>
#include <asm/timer.h>
#include <asm/tlbflush.h>

/* Native meaning of the ops mainline has no helper for. */
static u64 pvx_no_steal_clock(int cpu)
{
	return 0;
}

static void pvx_spin_wait(u8 *ptr, u8 val)
{
}

static void pvx_spin_kick(int cpu)
{
}

static bool pvx_vcpu_not_preempted(long cpu)
{
	return false;
}

/* Natively the kernel's own console drivers do the work. */
static void pvx_no_console_write(const char *buf, unsigned int len)
{
}

static void pvx_machine_shutdown(int reason, int code)
{
	if (reason == PVX_SHUTDOWN_REBOOT)
		machine_restart(NULL);
	machine_power_off();
}

#define __PVX_NATIVE_FN(g, n, kind, r, na, p, a, native, ...)		\
	__PVX_NATIVE_FN_##kind(n, r, p, a, native)

#define __PVX_NATIVE_BODY(attr, n, r, p, a, native)			\
	__visible attr r pvx_native_##n p				\
	{								\
		return native a;					\
	}

#define __PVX_NATIVE_FN_SITE_CS(n, r, p, a, native)			\
	__PVX_NATIVE_BODY(noinstr, n, r, p, a, native)

/*
 * Exported as mainline exports (or inlines) the helper: GPL-only where
 * mainline's own export is, listed here by op.
 */
#define __PVX_NATIVE_GPL_write_cr4		~, 1

#define __PVX_NATIVE_FN_SITE_C_0(n, r, p, a, native)			\
	__PVX_NATIVE_BODY(, n, r, p, a, native)				\
	EXPORT_SYMBOL(pvx_native_##n);

#define __PVX_NATIVE_FN_SITE_C_1(n, r, p, a, native)			\
	__PVX_NATIVE_BODY(, n, r, p, a, native)				\
	EXPORT_SYMBOL_GPL(pvx_native_##n);

#define ___PVX_NATIVE_FN_SITE_C(gpl, ...)				\
	__PVX_NATIVE_FN_SITE_C_##gpl(__VA_ARGS__)
#define __PVX_NATIVE_FN_SITE_C_GPL(gpl, ...)				\
	___PVX_NATIVE_FN_SITE_C(gpl, __VA_ARGS__)
#define __PVX_NATIVE_FN_SITE_C(n, ...)					\
	__PVX_NATIVE_FN_SITE_C_GPL(__PVX_PROBE(__PVX_NATIVE_GPL_##n), n,	\
				   __VA_ARGS__)

#define __PVX_NATIVE_FN_HOOK(n, r, p, a, native)			\
	__PVX_NATIVE_BODY(, n, r, p, a, native)

#define __PVX_NATIVE_FN_PLAT __PVX_NATIVE_FN_HOOK

/**
 * DOC: pvx_native_<op>()
 *
 * One function per op, generated from PVX_OPS(), with the op's prototype:
 * it returns what the mainline helper in the op's @native column returns.
 * Callee-save sites may sit in noinstr code (irq flags, CR2), so their
 * natives are noinstr.  Sites without a template call pvx_native_<op>()
 * directly, modules' sites included, hence the exports of SITE_C ops.
 */
PVX_OPS(__PVX_NATIVE_FN)

#define __PVX_NATIVE_THUNK_SITE_CS(n)	PV_CALLEE_SAVE_REGS_THUNK(pvx_native_##n);
#define __PVX_NATIVE_THUNK_SITE_C(n)
#define __PVX_NATIVE_THUNK_HOOK(n)
#define __PVX_NATIVE_THUNK_PLAT(n)
#define __PVX_NATIVE_THUNK(g, n, kind, ...) __PVX_NATIVE_THUNK_##kind(n)
PVX_OPS(__PVX_NATIVE_THUNK)

#define __PVX_NATIVE_INIT_SITE_CS(g, n)	.g.n = PVX_CALLEE_SAVE(pvx_native_##n),
#define __PVX_NATIVE_INIT_SITE_C(g, n)	.g.n = pvx_native_##n,
#define __PVX_NATIVE_INIT_HOOK		__PVX_NATIVE_INIT_SITE_C
#define __PVX_NATIVE_INIT_PLAT		__PVX_NATIVE_INIT_SITE_C
#define __PVX_NATIVE_INIT(g, n, kind, ...) __PVX_NATIVE_INIT_##kind(g, n)

/**
 * DOC: pvx_native_ops
 *
 * The native implementation of every op.  The patcher compares a backend's
 * ops with these: an op still equal to its native value is written inline
 * where it has a template.
 */
const struct pvx_ops pvx_native_ops = {
	PVX_OPS(__PVX_NATIVE_INIT)
};
EXPORT_SYMBOL_IF_KUNIT(pvx_native_ops);

/**
 * DOC: pvx_native_backend
 *
 * The machine itself.  Never detected (priority 0): it is what pvx falls
 * back to.
 */
const struct pvx_backend pvx_native_backend = {
	.name = "native",
};
EXPORT_SYMBOL_IF_KUNIT(pvx_native_backend);

/**
 * pvx_nop() - marker for a void op a backend wants removed
 *
 * A backend sets an op to PVX_NOP()/PVX_NOP_CS and the patcher writes
 * NOPs at its sites; it is never called from a patched site.
 */
__visible noinstr void pvx_nop(void)
{
}
EXPORT_SYMBOL_IF_KUNIT(pvx_nop);

/**
 * DOC: __raw_callee_save_pvx_nop
 *
 * The callee-save form of pvx_nop(), what PVX_NOP_CS holds.
 */
PV_CALLEE_SAVE_REGS_THUNK(pvx_nop);
EXPORT_SYMBOL_IF_KUNIT(__raw_callee_save_pvx_nop);
