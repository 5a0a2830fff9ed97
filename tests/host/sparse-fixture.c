// SPDX-License-Identifier: GPL-2.0
/*
 * Must NOT pass sparse: check-host runs sparse on this file and expects it
 * to flag both mistakes, proving the __guest annotation is enforced.
 */
#include "internal.h"

uint32_t bad_deref(const uint32_t __guest *p);
uint32_t bad_deref(const uint32_t __guest *p)
{
	return *p;				/* dereference of noderef */
}

const void *bad_cast(const void __guest *p);
const void *bad_cast(const void __guest *p)
{
	return (const void *)p;			/* cast removes address space */
}
