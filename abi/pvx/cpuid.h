/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * PVX discovery through CPUID, and the hypercall transport.
 *
 * A guest scans leaves PVX_CPUID_SCAN_FIRST..PVX_CPUID_SCAN_LAST in steps of
 * PVX_CPUID_SCAN_STEP.  The first leaf whose EBX, ECX, EDX hold the
 * signature below is the PVX base ("base"):
 *
 *   base+0  EAX = highest PVX leaf (>= base + PVX_CPUID_LEAF_TRANSPORT)
 *           EBX, ECX, EDX = signature "PVXPVXPVXPVX"
 *   base+1  EAX = host ABI version, PVX_ABI_VERSION(major, minor)
 *           EBX = host feature bits 31:0, ECX = host feature bits 63:32
 *           EDX = number of vCPUs the host serves (ids 0..EDX-1)
 *   base+2  EAX = transport (enum pvx_transport)
 *           EBX = I/O port for PVX_TRANSPORT_IOPORT, 0 otherwise
 *           ECX, EDX = 0 (reserved)
 *
 * A guest MUST treat these as "no PVX" (and run native): a highest leaf
 * below base + PVX_CPUID_LEAF_TRANSPORT, a version of another major, a
 * transport it does not know, and for PVX_TRANSPORT_IOPORT a port outside
 * PVX_IOPORT_MIN..PVX_IOPORT_MAX.  A host MUST NOT publish them.
 *
 * A hypervisor may expose other signatures (e.g. KVM's) at other bases in
 * the same range; the scan finds PVX wherever it is.
 */
#ifndef _UAPI_PVX_CPUID_H
#define _UAPI_PVX_CPUID_H

#define PVX_CPUID_SCAN_FIRST		0x40000000u
#define PVX_CPUID_SCAN_LAST		0x4000ff00u
#define PVX_CPUID_SCAN_STEP		0x100u

/* Offsets from the base leaf. */
#define PVX_CPUID_LEAF_SIGNATURE	0
#define PVX_CPUID_LEAF_VERSION		1
#define PVX_CPUID_LEAF_TRANSPORT	2

/* Little-endian packing of four signature characters into one register. */
#define PVX_FOURCC(a, b, c, d) \
	((__u32)(a) | ((__u32)(b) << 8) | ((__u32)(c) << 16) | ((__u32)(d) << 24))

/* The 12-byte signature "PVXPVXPVXPVX" as EBX, ECX, EDX. */
#define PVX_CPUID_SIGNATURE_EBX		PVX_FOURCC('P', 'V', 'X', 'P')
#define PVX_CPUID_SIGNATURE_ECX		PVX_FOURCC('V', 'X', 'P', 'V')
#define PVX_CPUID_SIGNATURE_EDX		PVX_FOURCC('X', 'P', 'V', 'X')

/*
 * The transport: the instruction that carries a hypercall to the host.
 * Registers are the same for every transport (see <pvx/hypercall.h>):
 *
 *   nr in RAX; args in RBX, RCX, RSI, RDI, R8; result in RAX.
 *
 * PVX_TRANSPORT_IOPORT:  "outl %eax, %dx" with DX = the port from base+2
 *                        EBX.  DX is the reason no argument lives in RDX.
 *                        The host ignores the data written; it reads RAX.
 * PVX_TRANSPORT_VMCALL:  "vmcall" (Intel VMX).
 * PVX_TRANSPORT_VMMCALL: "vmmcall" (AMD SVM).
 */
/*
 * The usable I/O ports: not port 0, and not a port whose 4 bytes
 * (port..port+3, the outl) run past 0xffff.
 */
#define PVX_IOPORT_MIN			0x0001u
#define PVX_IOPORT_MAX			0xfffcu

enum pvx_transport {
	PVX_TRANSPORT_NONE	= 0,
	PVX_TRANSPORT_IOPORT	= 1,
	PVX_TRANSPORT_VMCALL	= 2,
	PVX_TRANSPORT_VMMCALL	= 3,
};

#endif /* _UAPI_PVX_CPUID_H */
