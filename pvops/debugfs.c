// SPDX-License-Identifier: GPL-2.0
/*
 * pvx debugfs: /sys/kernel/debug/pvx/
 *
 *   status  the boot line (the report read at late_initcall), then
 *           abi_headers=<the ABI these headers describe>
 *   ops     one line per op: name, its mainline hook, pv or native
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>
#include <asm/pvx.h>

static int pvx_status_show(struct seq_file *m, void *unused)
{
	pvx_print_status(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvx_status);

static int pvx_ops_show(struct seq_file *m, void *unused)
{
	unsigned int op;

	for (op = 0; op < PVX_NR_OPS; op++)
		seq_printf(m, "%-20s %-44s %s\n", pvx_op_name(op), pvx_op_hook(op),
			   pvx_op_is_pv(op) ? "pv" : "native");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvx_ops);

static int __init pvx_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("pvx", NULL);

	debugfs_create_file("status", 0444, dir, NULL, &pvx_status_fops);
	debugfs_create_file("ops", 0444, dir, NULL, &pvx_ops_fops);
	return 0;
}
late_initcall(pvx_debugfs_init);
