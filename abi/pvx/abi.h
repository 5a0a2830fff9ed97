/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The PVX hypercall ABI: the contract between a pvx guest and any
 * hypervisor that serves it.  Include this one header.
 *
 *   <pvx/version.h>    version numbers, the __PVX_INTERFACE_VERSION__ selector
 *   <pvx/cpuid.h>      discovery through CPUID, the transport
 *   <pvx/hypercall.h>  numbers, registers, errors, features, call structures
 *   <pvx/shared.h>     the per-vCPU shared page
 *   <pvx/layout.h>     every structure's layout, checked at compile time
 *
 * Specification: Documentation/abi/.
 */
#ifndef _UAPI_PVX_ABI_H
#define _UAPI_PVX_ABI_H

#include <pvx/version.h>
#include <pvx/cpuid.h>
#include <pvx/hypercall.h>
#include <pvx/shared.h>
#include <pvx/layout.h>

#endif /* _UAPI_PVX_ABI_H */
