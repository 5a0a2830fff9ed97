// SPDX-License-Identifier: GPL-2.0
/*
 * pvx debugfs: /sys/kernel/debug/pvx/
 *
 *   status  the boot line: backend, ABI, site counts, patch time
 *   sites   one line per site: symbol+offset, op, state, the bytes now there
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <asm/pvx_backend.h>

struct pvx_sites_show {
	struct pvx_site_visitor v;
	struct seq_file *m;
};

static int pvx_site_show(struct pvx_site_visitor *v, struct pvx_site *s,
			 bool gone)
{
	struct seq_file *m = container_of(v, struct pvx_sites_show, v)->m;
	void *addr = pvx_site_addr(s);

	seq_printf(m, "%pS op=%s state=%s len=%u", addr, pvx_op_name(s->op),
		   pvx_state_name(s->state), s->len);
	if (gone)
		seq_puts(m, " bytes=freed\n");
	else
		seq_printf(m, " bytes=%*phN\n", s->len, addr);
	return 0;
}

static int pvx_sites_show(struct seq_file *m, void *unused)
{
	struct pvx_sites_show show = { .v.visit = pvx_site_show, .m = m };

	return pvx_walk_sites(&show.v);
}
DEFINE_SHOW_ATTRIBUTE(pvx_sites);

static int pvx_status_show(struct seq_file *m, void *unused)
{
	pvx_print_status(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvx_status);

static int __init pvx_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("pvx", NULL);

	debugfs_create_file("sites", 0400, dir, NULL, &pvx_sites_fops);
	debugfs_create_file("status", 0444, dir, NULL, &pvx_status_fops);
	return 0;
}
late_initcall(pvx_debugfs_init);
