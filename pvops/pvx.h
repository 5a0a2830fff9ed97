/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvx: what the kernel runs paravirtualized, whichever hypervisor entry
 * (kvm.c, Xen, refhv, ...) set it up.  Hypervisor entries install their
 * ops into mainline's hooks themselves; pvx only reads the hooks back.
 */
#ifndef _ASM_X86_PVX_H
#define _ASM_X86_PVX_H

#include <linux/types.h>
#include <asm/pvx_ops.h>

#define __PVX_OP_ENUM(op, hook)	PVX_OP_##op,
/* enum pvx_op: PVX_OP_<op> for each op of asm/pvx_ops.h, then PVX_NR_OPS. */
enum pvx_op {
	PVX_OPS(__PVX_OP_ENUM)
	PVX_NR_OPS
};

#undef __PVX_OP_ENUM

/**
 * struct pvx_negotiated - what a hypervisor entry agreed with its host
 * @abi: the PVX ABI version (major << 16 | minor); 0 for none
 * @features: the feature bits the host granted
 * @transport: how hypercalls reach the host ("ioport", "vmcall", ...),
 *	NULL for none
 *
 * Written once by the entry that negotiated (refhv), before SMP; printed
 * by the boot line.
 */
struct pvx_negotiated {
	u32 abi;
	u64 features;
	const char *transport;
};

extern struct pvx_negotiated pvx_negotiated;

const char *pvx_op_name(enum pvx_op op);
const char *pvx_op_hook(enum pvx_op op);
bool pvx_op_is_pv(enum pvx_op op);

struct seq_file;
void pvx_print_status(struct seq_file *m);

#endif /* _ASM_X86_PVX_H */
