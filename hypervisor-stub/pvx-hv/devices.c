// SPDX-License-Identifier: GPL-2.0
/*
 * The port-I/O devices pvx-hv emulates itself (KVM emulates the PIC,
 * IOAPIC, local APICs and PIT in the kernel):
 *   0x3f8-0x3ff  8250/16550 UART (COM1, IRQ 4), transmit only, to stdout;
 *   0x60, 0x64   i8042 keyboard controller, just enough for Linux to
 *                probe it quickly and to reset the machine with 0xfe;
 *   0x70, 0x71   CMOS RTC: the host's UTC time, read only;
 *   0x600-0x60b  ACPI fixed hardware (the FADT, acpi.c, points here):
 *                PM1a event block, PM1a control (S5 powers off), PM timer;
 *   0xcf9        PCI reset control: bit 2 resets the machine.
 * A reset or an S5 power-off is reported to the run loop (io_out()'s
 * result), which ends the VM with status 0; no device ends it itself. Port 0x80 (POST
 * codes, which Linux writes as an I/O delay) and any other port read as
 * all-ones and ignore writes, as an empty ISA bus does; --stats counts
 * those by port.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "pvx-hv.h"

#define KBD_RESET	0xfe
#define KBD_OBF		0x01		/* a byte waits in KBD_DATA */
#define KBD_CTR_KBDDIS	0x10
#define KBD_CTR_AUXDIS	0x20
#define KBD_AUXDATA	0x20		/* ... and it came from the aux port */
#define KBD_IDLE	0x14		/* keyboard not inhibited, self test done */
#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define IO_DELAY_PORT	0x80

/* UART registers (offset from COM1) and bits. */
enum { UART_RX_TX, UART_IER, UART_IIR_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_FIFO	0xc0
#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define LSR_THRE_TEMT	0x60
#define MSR_DCD_DSR_CTS	0xb0

/*
 * The UART gathers a line (or a full buffer) under vm->lock; the caller
 * takes the line's place in the output stream under that lock too, and
 * passes it on once the lock is dropped (output.c).
 */
static size_t serial_take(struct serial *s, char *line)
{
	size_t n = s->len;

	memcpy(line, s->buf, n);
	s->len = 0;
	return n;
}

/* Under vm->lock: one byte into the line; a finished line goes to line. */
static size_t serial_put(struct serial *s, char c, char *line)
{
	s->buf[s->len++] = c;
	if (c == '\n' || s->len == sizeof(s->buf))
		return serial_take(s, line);
	return 0;
}

/* Under vm->lock: a finished line's ticket, if there is a line. */
static uint64_t serial_ticket(struct vm *vm, size_t n)
{
	return n ? output_ticket(&vm->out) : 0;
}

/* After vm->lock: the finished line out, in its ticket's turn. */
static void serial_emit(struct vm *vm, uint64_t ticket, const char *line, size_t n)
{
	if (n)
		output_put(&vm->out, ticket, line, n);
}

/* At exit: a last line without its newline. */
void serial_flush(struct vm *vm)
{
	char line[sizeof(vm->serial.buf)];
	uint64_t t;
	size_t n;

	pthread_mutex_lock(&vm->lock);
	n = serial_take(&vm->serial, line);
	t = serial_ticket(vm, n);
	pthread_mutex_unlock(&vm->lock);
	serial_emit(vm, t, line, n);
}

/* Text that bypasses the UART (PVX console_write), same stream. */
void serial_print(struct vm *vm, const char *buf, size_t len)
{
	char line[sizeof(vm->serial.buf)];

	while (len) {
		uint64_t t;
		size_t n = 0;

		pthread_mutex_lock(&vm->lock);
		while (len && !n) {
			n = serial_put(&vm->serial, *buf++, line);
			len--;
		}
		t = serial_ticket(vm, n);
		pthread_mutex_unlock(&vm->lock);
		serial_emit(vm, t, line, n);
	}
}

static uint8_t serial_iir(struct serial *s)
{
	uint8_t fifo = s->fcr & 1 ? IIR_FIFO : 0;

	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

static void serial_update_irq(struct vm *vm)
{
	struct serial *s = &vm->serial;
	bool level = !(serial_iir(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		struct kvm_irq_level irq = { .irq = COM1_IRQ, .level = level };

		ioctl(vm->fd, KVM_IRQ_LINE, &irq);
		s->irq_level = level;
	}
}

/* A register write; a line the write finished goes to line (its length returned). */
static size_t serial_out(struct vm *vm, int reg, uint8_t v, char *line)
{
	size_t n = 0;

	struct serial *s = &vm->serial;
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RX_TX:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (!(s->mcr & MCR_LOOP))
			n = serial_put(s, v, line);
		s->thri_pending = true;		/* sent at once: THR empty again */
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thri_pending = true;	/* a 16550 raises THRE on enable */
		s->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		s->fcr = v;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
	serial_update_irq(vm);
	return n;
}

static uint8_t serial_in(struct vm *vm, int reg)
{
	struct serial *s = &vm->serial;
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v = 0;

	switch (reg) {
	case UART_RX_TX:
		v = dlab ? s->dll : 0;		/* nothing is ever received */
		break;
	case UART_IER:
		v = dlab ? s->dlm : s->ier;
		break;
	case UART_IIR_FCR:
		v = serial_iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = false;	/* reading IIR acknowledges it */
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE_TEMT;
		break;
	case UART_MSR:
		if (s->mcr & MCR_LOOP)		/* loopback: outputs feed inputs */
			v = (s->mcr & 0x01) << 5 | (s->mcr & 0x02) << 3 |
			    (s->mcr & 0x04) << 4 | (s->mcr & 0x08) << 4;
		else
			v = MSR_DCD_DSR_CTS;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	serial_update_irq(vm);
	return v;
}

/* i8042: a command byte, with a reply or a data byte to come, or not. */
static void kbd_command(struct kbd *k, uint8_t cmd)
{
	k->cmd = 0;
	switch (cmd) {
	case 0x20:			/* read the control register */
		k->out = k->ctr, k->status = KBD_OBF;
		break;
	case 0xaa:			/* controller self test: passed */
		k->out = 0x55, k->status = KBD_OBF;
		break;
	case 0xa9: case 0xab:		/* aux, kbd interface test: no error */
		k->out = 0x00, k->status = KBD_OBF;
		break;
	case 0x60: case 0xd2: case 0xd3: /* write ctr, kbd loop, aux loop */
		k->cmd = cmd;
		break;
	case 0xa7: k->ctr |= KBD_CTR_AUXDIS; break;
	case 0xa8: k->ctr &= ~KBD_CTR_AUXDIS; break;
	case 0xad: k->ctr |= KBD_CTR_KBDDIS; break;
	case 0xae: k->ctr &= ~KBD_CTR_KBDDIS; break;
	}
}

static void kbd_data(struct kbd *k, uint8_t v)
{
	if (k->cmd == 0x60)
		k->ctr = v;
	else if (k->cmd == 0xd2)
		k->out = v, k->status = KBD_OBF;
	else if (k->cmd == 0xd3)
		k->out = v, k->status = KBD_OBF | KBD_AUXDATA;
	k->cmd = 0;			/* bytes for the keyboard itself: no one there */
}

/*
 * ACPI PM timer: ACPI_PM_TMR_HZ from the host's monotonic clock, as wide as
 * the FADT says. Reading it costs the guest an exit, nothing more.
 */
static uint32_t pm_timer(void)
{
	struct timespec t;
	uint64_t ticks;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ticks = (uint64_t)t.tv_sec * ACPI_PM_TMR_HZ +
		(uint64_t)t.tv_nsec * ACPI_PM_TMR_HZ / 1000000000;
	return ACPI_PM_TMR_BITS == 32 ? (uint32_t)ticks : ticks & 0xffffff;
}

/* One byte of the PM1a event block, control block or timer (read once). */
static uint8_t acpi_pm_read(const struct acpi_pm *pm, uint16_t port, uint32_t timer)
{
	unsigned int shift = (port & 1) * 8;

	if (port >= ACPI_PM_TMR && port < ACPI_PM_TMR + ACPI_PM_TMR_LEN)
		return timer >> (port - ACPI_PM_TMR) * 8;
	if (port == ACPI_PM1A_EVT + 2 || port == ACPI_PM1A_EVT + 3)
		return pm->en >> shift;
	if (port == ACPI_PM1A_CNT || port == ACPI_PM1A_CNT + 1)
		return (pm->cnt | ACPI_SCI_EN) >> shift;	/* always in ACPI mode */
	return 0;					/* PM1a status: no events */
}

/* Returns true when the write puts the machine in S5. */
static bool acpi_pm_write(struct acpi_pm *pm, uint16_t port, uint8_t v)
{
	unsigned int shift = (port & 1) * 8;
	uint16_t keep = 0xff00 >> shift;

	if (port == ACPI_PM1A_EVT + 2 || port == ACPI_PM1A_EVT + 3)
		pm->en = (pm->en & keep) | v << shift;
	if (port != ACPI_PM1A_CNT && port != ACPI_PM1A_CNT + 1)
		return false;				/* status: write-1-to-clear, none set */
	pm->cnt = ((pm->cnt & keep) | v << shift) & ~ACPI_SLP_EN;
	return (v << shift & ACPI_SLP_EN) &&
	       (pm->cnt >> ACPI_SLP_TYP_SHIFT & 7) == ACPI_SLP_TYP_S5;
}

static bool is_acpi_port(uint16_t port)
{
	return (port >= ACPI_PM1A_EVT && port < ACPI_PM1A_EVT + ACPI_PM1_EVT_LEN) ||
	       (port >= ACPI_PM1A_CNT && port < ACPI_PM1A_CNT + ACPI_PM1_CNT_LEN) ||
	       (port >= ACPI_PM_TMR && port < ACPI_PM_TMR + ACPI_PM_TMR_LEN);
}

/* An access nobody claims, counted by port in a table of bounded size. */
static void unclaimed(struct stats *st, uint16_t port)
{
	int i;

	st->io[IO_OTHER]++;
	for (i = 0; i < st->nports && st->ports[i].port != port; i++)
		;
	if (i == st->nports && st->nports < STAT_PORTS)
		st->ports[st->nports++].port = port;
	if (i < st->nports)
		st->ports[i].n++;
	else
		st->ports_more++;
}

/* MC146818 RTC: registers 0-9 and 0x32 give the time in BCD, 24 hours. */
static uint8_t rtc_read(uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;
	int v;

	gmtime_r(&now, &tm);
	switch (index & 0x7f) {
	case 0x00: v = tm.tm_sec; break;
	case 0x02: v = tm.tm_min; break;
	case 0x04: v = tm.tm_hour; break;
	case 0x06: v = tm.tm_wday + 1; break;
	case 0x07: v = tm.tm_mday; break;
	case 0x08: v = tm.tm_mon + 1; break;
	case 0x09: v = tm.tm_year % 100; break;
	case RTC_CENTURY: v = 19 + tm.tm_year / 100; break;
	case 0x0a: return 0x26;		/* no update in progress, 32 kHz */
	case 0x0b: return 0x02;		/* 24 hours, BCD, no interrupts */
	case 0x0d: return 0x80;		/* battery good */
	default: return 0;
	}
	return (v / 10) << 4 | v % 10;
}

/* A write of size bytes to port; what it did to the machine, for the run loop. */
enum dev_event io_out(struct vcpu *c, uint16_t port, const uint8_t *data, int size)
{
	struct vm *vm = c->vm;

	if (port >= COM1 && port < COM1 + 8 && size == 1) {
		char line[sizeof(vm->serial.buf)];
		uint64_t t;
		size_t n;

		c->st.io[IO_SERIAL]++;
		pthread_mutex_lock(&vm->lock);
		n = serial_out(vm, port - COM1, *data, line);
		t = serial_ticket(vm, n);
		pthread_mutex_unlock(&vm->lock);
		serial_emit(vm, t, line, n);
	} else if ((port == KBD_STATUS && *data == KBD_RESET) ||
		   (port == RESET_PORT && (*data & RESET_CPU))) {
		c->st.io[IO_KBD]++;
		return DEV_RESET;
	} else if (is_acpi_port(port)) {
		bool off = false;

		c->st.io[IO_ACPI]++;
		pthread_mutex_lock(&vm->lock);
		for (int i = 0; i < size && is_acpi_port(port + i); i++)
			off |= acpi_pm_write(&vm->pm, port + i, data[i]);
		pthread_mutex_unlock(&vm->lock);
		if (off)
			return DEV_POWEROFF;		/* S5 */
	} else if (port == KBD_STATUS || port == KBD_DATA) {
		c->st.io[IO_KBD]++;
		pthread_mutex_lock(&vm->lock);
		if (port == KBD_STATUS)
			kbd_command(&vm->kbd, *data);
		else
			kbd_data(&vm->kbd, *data);
		pthread_mutex_unlock(&vm->lock);
	} else if (port == RTC_INDEX || port == RTC_DATA) {
		c->st.io[IO_RTC]++;
		if (port == RTC_INDEX) {		/* the clock itself is read only */
			pthread_mutex_lock(&vm->lock);
			vm->rtc_index = *data;
			pthread_mutex_unlock(&vm->lock);
		}
	} else if (port == IO_DELAY_PORT) {
		c->st.io[IO_DELAY]++;
	} else {
		unclaimed(&c->st, port);
	}
	return DEV_NONE;
}

void io_in(struct vcpu *c, uint16_t port, uint8_t *data, int size)
{
	struct vm *vm = c->vm;

	if (port >= COM1 && port < COM1 + 8 && size == 1) {
		c->st.io[IO_SERIAL]++;
		pthread_mutex_lock(&vm->lock);
		*data = serial_in(vm, port - COM1);
		pthread_mutex_unlock(&vm->lock);
	} else if (port == KBD_STATUS || port == KBD_DATA) {
		c->st.io[IO_KBD]++;
		pthread_mutex_lock(&vm->lock);
		if (port == KBD_STATUS) {
			*data = vm->kbd.status | KBD_IDLE;
		} else {
			*data = vm->kbd.out;
			vm->kbd.status = 0;
		}
		pthread_mutex_unlock(&vm->lock);
	} else if (port == RTC_DATA) {
		uint8_t index;

		c->st.io[IO_RTC]++;
		pthread_mutex_lock(&vm->lock);
		index = vm->rtc_index;
		pthread_mutex_unlock(&vm->lock);
		*data = rtc_read(index);
	} else if (is_acpi_port(port)) {
		uint32_t timer = pm_timer();

		c->st.io[IO_ACPI]++;
		memset(data, 0xff, size);
		pthread_mutex_lock(&vm->lock);
		for (int i = 0; i < size && is_acpi_port(port + i); i++)
			data[i] = acpi_pm_read(&vm->pm, port + i, timer);
		pthread_mutex_unlock(&vm->lock);
	} else {
		if (port == IO_DELAY_PORT)
			c->st.io[IO_DELAY]++;
		else
			unclaimed(&c->st, port);
		memset(data, 0xff, size);
	}
}
