/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvx backends and the ops table they fill.
 *
 * A backend has a name, a detect() that returns a priority (0: not here),
 * and an init() that may fail.  init() receives a struct pvx_ops that
 * already holds the native ops and overrides the ones its platform needs;
 * everything it leaves alone stays native and inline.
 */
#ifndef _ASM_X86_PVX_BACKEND_H
#define _ASM_X86_PVX_BACKEND_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <asm/pvx.h>
/* enum pvx_shutdown_reason: the shutdown op's reason is the ABI's */
#include <pvx/hypercall.h>

/* How an op is reached; the @kind column of PVX_OPS(). */
enum pvx_op_kind {
	PVX_KIND_SITE_CS,
	PVX_KIND_SITE_C,
	PVX_KIND_HOOK,
	PVX_KIND_PLAT,
};

struct cpumask;
struct flush_tlb_info;
struct module;

/**
 * struct pvx_callee_save - an op that must preserve all registers but %rax
 * @func: a thunk made by PV_CALLEE_SAVE_REGS_THUNK(); use PVX_CALLEE_SAVE()
 */
struct pvx_callee_save {
	void *func;
};

/* Fill a SITE_CS op with @fn, wrapped by PV_CALLEE_SAVE_REGS_THUNK(fn). */
#define PVX_CALLEE_SAVE(fn)						\
	((struct pvx_callee_save){ .func = __raw_callee_save_##fn })

#define __PVX_OPS_FIELD_SITE_CS(g, n, r, na, p, ...)	struct pvx_callee_save n;
#define __PVX_OPS_FIELD_SITE_C(g, n, r, na, p, ...)		r(*n)p;
#define __PVX_OPS_FIELD_HOOK				__PVX_OPS_FIELD_SITE_C
#define __PVX_OPS_FIELD_PLAT				__PVX_OPS_FIELD_SITE_C
#define __PVX_OPS_FIELD(g, n, kind, ...)	__PVX_OPS_FIELD_##kind(g, n, __VA_ARGS__)

#define __PVX_GROUP_STRUCT(g)						\
	struct pvx_##g##_ops { PVX_OPS_##g(__PVX_OPS_FIELD) };
PVX_GROUPS(__PVX_GROUP_STRUCT)
#undef __PVX_GROUP_STRUCT

/**
 * struct pvx_ops - every privileged operation pvx can redirect
 * @irq: interrupt flags, halt
 * @cpu: cpuid, MSRs, control registers, wbinvd, io_delay
 * @mmu: TLB flushes
 * @time: sched_clock, steal clock
 * @lock: pv spinlock wait/kick, vcpu_is_preempted
 * @platform: console, shutdown
 *
 * The group structs are generated from PVX_OPS_<group>() in asm/pvx_ops.h.
 */
struct pvx_ops {
	struct pvx_irq_ops irq;
	struct pvx_cpu_ops cpu;
	struct pvx_mmu_ops mmu;
	struct pvx_time_ops time;
	struct pvx_lock_ops lock;
	struct pvx_platform_ops platform;
};

/* Every op field is one pointer wide: the groups above cover PVX_OPS(). */
#define __PVX_GROUP_SIZE(g) + sizeof(struct pvx_##g##_ops)
static_assert(sizeof(struct pvx_ops) == PVX_NR_OPS * sizeof(void *));
static_assert(sizeof(struct pvx_ops) == 0 PVX_GROUPS(__PVX_GROUP_SIZE));
#undef __PVX_GROUP_SIZE

/**
 * struct pvx_backend - a platform pvx can run on
 * @name: short name, as used by the pvx= parameter and the boot line
 * @detect: return a priority, 0 if the platform is not present; may be NULL
 * @init: fill @ops (preloaded with the native ops) and the ABI version it
 *	negotiated as (major << 16 | minor); return 0 or a negative errno.
 *	On failure pvx runs natively.  May be NULL.
 */
struct pvx_backend {
	const char *name;
	u32 (*detect)(void);
	int (*init)(struct pvx_ops *ops, u32 *abi);
};

/**
 * enum pvx_site_state - what the patcher made of a site
 * @PVX_SITE_PENDING: not patched yet (still its native form)
 * @PVX_SITE_INLINE: the op's native template, NOP padded
 * @PVX_SITE_DIRECT: a direct call into the backend, NOP padded
 * @PVX_SITE_NOP: NOPs only
 * @PVX_SITE_UNPATCHED: refused (length, bytes or clobbers not as expected)
 * @PVX_SITE_NR_STATES: number of states
 */
enum pvx_site_state {
	PVX_SITE_PENDING,
	PVX_SITE_INLINE,
	PVX_SITE_DIRECT,
	PVX_SITE_NOP,
	PVX_SITE_UNPATCHED,
	PVX_SITE_NR_STATES
};

/**
 * struct pvx_patch_stats - counts of one patching pass
 * @sites: sites visited
 * @state: sites per enum pvx_site_state
 */
struct pvx_patch_stats {
	unsigned int sites;
	unsigned int state[PVX_SITE_NR_STATES];
};

/* The native backend's pvx_native_<op>(), one per op (native.c). */
#define __PVX_NATIVE_DECL(g, n, kind, r, na, p, ...)	r pvx_native_##n p;
PVX_OPS(__PVX_NATIVE_DECL)
#undef __PVX_NATIVE_DECL

/* Each op's template bytes, emitted once by the patcher (patch.c). */
#define __PVX_TMPL_DECL(g, n, ...)					\
	extern const u8 pvx_tmpl_##n[], pvx_tmpl_##n##_end[];
PVX_OPS(__PVX_TMPL_DECL)
#undef __PVX_TMPL_DECL

extern const struct pvx_ops pvx_native_ops;
extern const struct pvx_backend pvx_native_backend;
extern struct pvx_ops pvx_ops;

/* Marks a void op a backend wants removed: the patcher NOPs its sites. */
void pvx_nop(void);
void __raw_callee_save_pvx_nop(void);
#define PVX_NOP_CS	((struct pvx_callee_save){ .func = __raw_callee_save_pvx_nop })
#define PVX_NOP(type)	((type)pvx_nop)

/* Selection (core.c). */
const struct pvx_backend *pvx_choose(const struct pvx_backend *const *list,
				     unsigned int n, const char *param,
				     u32 *prio);
const struct pvx_backend *pvx_init_backend(const struct pvx_backend *b,
					   struct pvx_ops *ops, u32 *abi);

/* The patcher (patch.c). */
struct pvx_site *pvx_core_sites(unsigned int *n);
enum pvx_site_state pvx_patch_site(struct pvx_site *s,
				   const struct pvx_ops *ops, bool early);
int pvx_site_check(const struct pvx_site *s, const struct pvx_ops *ops);
void pvx_patch_sites(struct pvx_site *start, struct pvx_site *end,
		     const struct pvx_ops *ops, bool early,
		     struct pvx_patch_stats *st);
const char *pvx_op_name(unsigned int op);
const char *pvx_state_name(unsigned int state);
void *pvx_op_target(const struct pvx_ops *ops, unsigned int op);

static inline void *pvx_site_addr(const struct pvx_site *s)
{
	return (void *)&s->addr + s->addr;
}

/* Core (core.c), also used by debugfs and the KUnit suites. */
struct seq_file;
void pvx_print_status(struct seq_file *m);
const struct pvx_patch_stats *pvx_boot_stats_get(void);
/**
 * struct pvx_site_visitor - a walk over every site (pvx_walk_sites())
 * @visit: called per site; @gone is true when the site's text was init
 *	code since freed (its bytes must not be read).  A non-zero return
 *	stops the walk.  Embed the visitor in a context and use
 *	container_of().
 */
struct pvx_site_visitor {
	int (*visit)(struct pvx_site_visitor *v, struct pvx_site *s, bool gone);
};

int pvx_walk_sites(struct pvx_site_visitor *v);
unsigned int pvx_count_table_calls(void);

/* Boot and module hooks, called from alternative.c and module.c. */
#ifdef CONFIG_PVX
void pvx_apply(void);
#else
static inline void pvx_apply(void) { }
#endif

#if defined(CONFIG_PVX) && defined(CONFIG_MODULES)
void pvx_module_sites(struct module *mod, void *start, unsigned long size);
void pvx_module_unload(struct module *mod);
int pvx_walk_module_sites(struct pvx_site_visitor *v);
#else
static inline void pvx_module_sites(struct module *mod, void *start,
				    unsigned long size) { }
static inline void pvx_module_unload(struct module *mod) { }
static inline int pvx_walk_module_sites(struct pvx_site_visitor *v)
{
	return 0;
}
#endif

#endif /* _ASM_X86_PVX_BACKEND_H */
