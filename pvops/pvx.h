/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvx call sites: the accessors pvx_<op>() for every op that pvx owns
 * through sites of its own (irq flags, control registers, MSRs, cpuid,
 * wbinvd).
 *
 * A site is emitted in its native form (the op's native instruction bytes,
 * or a direct call to pvx_native_<op>()), padded with NOPs to at least
 * PVX_SITE_MIN_LEN bytes, and recorded in .pvx_sites: where it is, which op,
 * its length and the registers it may clobber.  It is therefore correct
 * before the boot-time patcher runs; the patcher then rewrites it once to the
 * native bytes, a direct call into the chosen backend, or NOPs.
 *
 * Without CONFIG_PVX the accessors are the mainline native helpers.
 */
#ifndef _ASM_X86_PVX_H
#define _ASM_X86_PVX_H

#include <asm/pvx_ops.h>

#if defined(CONFIG_PVX) && defined(CONFIG_PARAVIRT_XXL)
#error "CONFIG_PVX and CONFIG_PARAVIRT_XXL patch the same operations"
#endif

/* What a site may clobber, recorded per site and checked by the patcher. */
#define PVX_CLOBBER_RAX		0x01	/* result register */
#define PVX_CLOBBER_ARGS	0x02	/* %rdi %rsi %rdx %rcx */
#define PVX_CLOBBER_SCRATCH	0x04	/* %r8 - %r11 */
#define PVX_CLOBBER_SITE_CS	PVX_CLOBBER_RAX
#define PVX_CLOBBER_SITE_C	(PVX_CLOBBER_RAX | PVX_CLOBBER_ARGS | \
				 PVX_CLOBBER_SCRATCH)

/* Room for a rel32 call; the longest template must also fit. */
#define PVX_SITE_MIN_LEN	5
#define PVX_SITE_MAX_LEN	16

#ifndef __ASSEMBLY__

#include <linux/types.h>
#include <linux/stringify.h>
#include <asm/asm.h>
#include <asm/extable_fixup_types.h>

enum pvx_op_id {
#define __PVX_OP_ID(g, n, ...) PVX_OP_##n,
	PVX_OPS(__PVX_OP_ID)
#undef __PVX_OP_ID
	PVX_NR_OPS
};

/**
 * struct pvx_site - one recorded call site
 * @addr: site address, relative to this field
 * @op: enum pvx_op_id
 * @len: bytes at the site
 * @clobbers: PVX_CLOBBER_* the code around the site allows
 * @state: enum pvx_site_state, written by the patcher
 */
struct pvx_site {
	s32 addr;
	u8 op;
	u8 len;
	u8 clobbers;
	u8 state;
};

#ifdef CONFIG_PVX

/*
 * The site itself: the template, or the call to the native helper when
 * the op has no template, then 0x90 padding up to PVX_SITE_MIN_LEN.
 */
#define __PVX_SITE(n, tmpl, ex, clob)					\
	"7700:\n\t"							\
	".if %c[pvx_tmpl]\n\t" tmpl "\n\t"				\
	".if " __stringify(ex) "\n\t"					\
	_ASM_EXTABLE_TYPE(7701b, 7702b, ex) "\n\t"			\
	".endif\n\t"							\
	".else\n\tcall pvx_native_" #n "\n\t.endif\n"			\
	"7709:\n\t"							\
	".if (7709b - 7700b) < " __stringify(PVX_SITE_MIN_LEN) "\n\t"	\
	".skip " __stringify(PVX_SITE_MIN_LEN) " - (7709b - 7700b), 0x90\n\t" \
	".endif\n"							\
	"7708:\n\t"							\
	".if (7708b - 7700b) > " __stringify(PVX_SITE_MAX_LEN) "\n\t"	\
	".error \"pvx site longer than PVX_SITE_MAX_LEN\"\n\t"		\
	".endif\n\t"							\
	".pushsection .pvx_sites, \"aw\"\n\t"				\
	".balign 4\n\t"							\
	".long 7700b - .\n\t"						\
	".byte %c[pvx_op], 7708b - 7700b, " __stringify(clob) ", 0\n\t" \
	".popsection\n"

#define __PVX_SITE_OPS(n, tmpl)						\
	[pvx_op] "i" (PVX_OP_##n), [pvx_tmpl] "i" (sizeof(tmpl) > 1)

/* Callee-save sites: at most one argument, in %rdi; result in %rax. */
#define __PVX_CALL_SITE_CS0(n, tmpl, ex, ...)				\
({									\
	unsigned long __ret;						\
	asm volatile(__PVX_SITE(n, tmpl, ex, PVX_CLOBBER_SITE_CS)	\
		     : "=a" (__ret), ASM_CALL_CONSTRAINT			\
		     : __PVX_SITE_OPS(n, tmpl)				\
		     : "memory", "cc");					\
	__ret;								\
})

#define __PVX_CALL_SITE_CS1(n, tmpl, ex, a0)				\
({									\
	unsigned long __ret;						\
	asm volatile(__PVX_SITE(n, tmpl, ex, PVX_CLOBBER_SITE_CS)	\
		     : "=a" (__ret), ASM_CALL_CONSTRAINT			\
		     : __PVX_SITE_OPS(n, tmpl), "D" ((unsigned long)(a0)) \
		     : "memory", "cc");					\
	__ret;								\
})

/* C-convention sites: up to four arguments. */
#define ___PVX_CALL_SITE_C(n, tmpl, ex, a0, a1, a2, a3)		\
({									\
	unsigned long __ret, __di = (unsigned long)(a0),		\
		__si = (unsigned long)(a1), __dx = (unsigned long)(a2),	\
		__cx = (unsigned long)(a3);				\
	asm volatile(__PVX_SITE(n, tmpl, ex, PVX_CLOBBER_SITE_C)	\
		     : "=a" (__ret), "+D" (__di), "+S" (__si),		\
		       "+d" (__dx), "+c" (__cx), ASM_CALL_CONSTRAINT	\
		     : __PVX_SITE_OPS(n, tmpl)				\
		     : "r8", "r9", "r10", "r11", "memory", "cc");	\
	__ret;								\
})
#define __PVX_CALL_SITE_C(...) ___PVX_CALL_SITE_C(__VA_ARGS__)

#define __PVX_ARGS0()			0, 0, 0, 0
#define __PVX_ARGS1(a)			a, 0, 0, 0
#define __PVX_ARGS2(a, b)		a, b, 0, 0
#define __PVX_ARGS3(a, b, c)		a, b, c, 0
#define __PVX_ARGS4(a, b, c, d)		a, b, c, d

#define __PVX_SITE_CS(n, r, na, a, tmpl, ex)				\
	(r)__PVX_CALL_SITE_CS##na(n, tmpl, ex, __PVX_ARGS_CS##na a)
#define __PVX_ARGS_CS0()
#define __PVX_ARGS_CS1(a)		a
#define __PVX_SITE_C(n, r, na, a, tmpl, ex)				\
	(r)__PVX_CALL_SITE_C(n, tmpl, ex, __PVX_ARGS##na a)

#define __PVX_ACCESSOR_SITE_CS(g, n, r, na, p, a, native, tmpl, ex)	\
static __always_inline r pvx_##n p					\
{									\
	return __PVX_SITE_CS(n, r, na, a, tmpl, ex);			\
}

#define __PVX_ACCESSOR_SITE_C(g, n, r, na, p, a, native, tmpl, ex)	\
static __always_inline r pvx_##n p					\
{									\
	return __PVX_SITE_C(n, r, na, a, tmpl, ex);			\
}

#else /* !CONFIG_PVX */

#define __PVX_ACCESSOR_NATIVE(g, n, r, na, p, a, native, tmpl, ex)	\
static __always_inline r pvx_##n p					\
{									\
	return native a;						\
}

#define __PVX_ACCESSOR_SITE_CS __PVX_ACCESSOR_NATIVE
#define __PVX_ACCESSOR_SITE_C __PVX_ACCESSOR_NATIVE

#endif /* CONFIG_PVX */

#define __PVX_ACCESSOR_HOOK(...)
#define __PVX_ACCESSOR_PLAT(...)

/*
 * PVX_DEFINE_ACCESSORS(header) defines pvx_<op>() for the ops whose @header
 * column names @header; each asm/ header invokes it where the native
 * helpers the ops fall back to are known.  __PVX_SAME() compares two
 * header tokens with the usual probe trick.
 */
#define __PVX_SECOND(a, b, ...)		b
#define __PVX_PROBE(...)		__PVX_SECOND(__VA_ARGS__, 0)
#define __PVX_SAME_irqflags_irqflags		~, 1
#define __PVX_SAME_special_insns_special_insns	~, 1
#define __PVX_SAME_msr_msr			~, 1
#define __PVX_SAME_cpuid_cpuid			~, 1
#define ___PVX_SAME(x, y)		__PVX_PROBE(__PVX_SAME_##x##_##y)
#define __PVX_SAME(x, y)		___PVX_SAME(x, y)
#define ___PVX_WHEN(c)			__PVX_WHEN_##c
#define __PVX_WHEN(c)			___PVX_WHEN(c)
#define __PVX_WHEN_0(...)
#define __PVX_WHEN_1(...)		__VA_ARGS__

#define __PVX_ACC_IN(want, g, n, kind, r, na, p, a, native, hdr, tmpl, ex) \
	__PVX_WHEN(__PVX_SAME(hdr, want))(				\
		__PVX_ACCESSOR_##kind(g, n, r, na, p, a, native, tmpl, ex))
#define __PVX_ACC_irqflags(...)		__PVX_ACC_IN(irqflags, __VA_ARGS__)
#define __PVX_ACC_special_insns(...)	__PVX_ACC_IN(special_insns, __VA_ARGS__)
#define __PVX_ACC_msr(...)		__PVX_ACC_IN(msr, __VA_ARGS__)
#define __PVX_ACC_cpuid(...)		__PVX_ACC_IN(cpuid, __VA_ARGS__)

#define PVX_DEFINE_ACCESSORS(header)	PVX_OPS(__PVX_ACC_##header)

#endif /* !__ASSEMBLY__ */
#endif /* _ASM_X86_PVX_H */
