// SPDX-License-Identifier: GPL-2.0
/*
 * pvx module sites: patched in module_finalize(), before the module's code
 * can run, and listed (debugfs, the pvx_audit suite) until it is unloaded.
 */
#define pr_fmt(fmt) "pvx: " fmt

#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <asm/pvx_backend.h>

struct pvx_mod_sites {
	struct list_head list;
	struct module *mod;
	struct pvx_site *start;
	struct pvx_site *end;
	unsigned long init_start;	/* the module's init text, freed */
	unsigned long init_end;		/* once the module is live */
};

static LIST_HEAD(pvx_mod_list);
static DEFINE_MUTEX(pvx_mod_lock);

/**
 * pvx_module_sites() - patch a module's sites before it runs
 * @mod: the module being loaded
 * @start: its .pvx_sites section
 * @size: the section's size in bytes
 */
void pvx_module_sites(struct module *mod, void *start, unsigned long size)
{
	struct pvx_patch_stats st = {};
	struct pvx_mod_sites *m;

	struct pvx_site *first = start;
	struct pvx_site *end = first + size / sizeof(*first);

	pvx_patch_sites(first, end, &pvx_ops, true, &st);
	if (st.state[PVX_SITE_UNPATCHED])
		pr_warn("module %s: %u of %u sites not patched\n", mod->name,
			st.state[PVX_SITE_UNPATCHED], st.sites);

	/* Without memory the sites stay patched, just not listed. */
	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return;
	m->mod = mod;
	m->start = first;
	m->end = end;
	m->init_start = (unsigned long)mod->mem[MOD_INIT_TEXT].base;
	m->init_end = m->init_start + mod->mem[MOD_INIT_TEXT].size;
	mutex_lock(&pvx_mod_lock);
	list_add_tail(&m->list, &pvx_mod_list);
	mutex_unlock(&pvx_mod_lock);
}

/**
 * pvx_module_unload() - forget a module's sites
 * @mod: the module going away
 */
void pvx_module_unload(struct module *mod)
{
	struct pvx_mod_sites *m, *tmp;

	mutex_lock(&pvx_mod_lock);
	list_for_each_entry_safe(m, tmp, &pvx_mod_list, list) {
		if (m->mod == mod) {
			list_del(&m->list);
			kfree(m);
		}
	}
	mutex_unlock(&pvx_mod_lock);
}

/**
 * pvx_walk_module_sites() - visit the sites of every loaded module
 * @v: the visitor
 *
 * Sites in a module's init text are reported gone once the module is
 * live: do_init_module() frees that text (and empties the module's record
 * of it, hence the range kept here).
 *
 * Return: what the last @v->visit() call returned.
 */
int pvx_walk_module_sites(struct pvx_site_visitor *v)
{
	struct pvx_mod_sites *m;
	struct pvx_site *s;
	unsigned long addr;
	bool gone;
	int ret = 0;

	mutex_lock(&pvx_mod_lock);
	list_for_each_entry(m, &pvx_mod_list, list) {
		for (s = m->start; s < m->end && !ret; s++) {
			addr = (unsigned long)pvx_site_addr(s);
			gone = m->mod->state == MODULE_STATE_LIVE &&
			       addr >= m->init_start && addr < m->init_end;
			ret = v->visit(v, s, gone);
		}
	}
	mutex_unlock(&pvx_mod_lock);
	return ret;
}
