/* Serial lines: a terminal device put into raw 8N1 at a chosen baud rate and flow control,
 * used exclusively, and given back as it was found on every way out (signals included).
 * The sink and the source of a serial line (sink_serial.c, source_serial.c) open it here. */
#ifndef TP_SERIAL_H
#define TP_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>
#include "enums.h"


struct tp_serial {
	int fd;
	struct termios saved;   /* as found, restored by tp_serial_close */
	bool have_saved;
	bool exclusive;         /* we set TIOCEXCL, so we clear it */
	unsigned baud;          /* the line's rate, read back from the device */
	const char *why;        /* what the device refused, for the error line */
};

/* "serial:PATH" names a serial line; so does a path that is a terminal device. Returns the
 * device path (after "serial:"), or NULL when spec is not a serial line. */
const char *tp_serial_path(const char *spec);

/* The termios speed constant for a standard rate, or 0 when there is none (then termios2's
 * BOTHER sets it: serial_baud2.c). Pure. */
speed_t tp_serial_speed(unsigned baud);
/* The rate of a termios speed constant (0 for B0 or an unknown one). Pure. */
unsigned tp_serial_baud(speed_t speed);

/* Opens path (flags: O_RDONLY or O_WRONLY), makes sure it is a terminal, takes it
 * exclusively (flock, then TIOCEXCL: -EBUSY with s->why when another program has it), sets
 * raw 8N1 with CLOCAL and CREAD, `flow`, and `baud` (0: keep the
 * device's), reads the settings back, and flushes pending input. 0 or -errno; -ENOTTY for
 * a device that is no terminal; on a refused setting -EINVAL with s->why naming it. */
int tp_serial_open(struct tp_serial *s, const char *path, int flags, unsigned baud,
		   enum tp_flow flow);

/* Waits until everything written has left the line (tcdrain), with signals let in. After
 * SIGINT or SIGTERM (before or during the wait), until deadline_ns at most (0: drain_ns from
 * the signal), then the rest is discarded (tcflush) and counted in *discarded. 0 or
 * -errno. */
int tp_serial_drain(struct tp_serial *s, uint64_t deadline_ns, uint64_t drain_ns,
		    size_t *discarded);

/* Gives the device its settings back and closes it. 0 or -errno. */
int tp_serial_close(struct tp_serial *s);

/* For the signal handler that exits at once (tp_serial_open registers it with
 * tp_signals_add_exit_hook): puts every open line's settings back, with async-signal-safe
 * calls only. */
void tp_serial_restore_all(void);

/* serial_baud2.c: sets (and reads back) a rate that has no termios constant, through
 * termios2 and BOTHER. 0 or -errno; *actual gets what the driver took. */
int tp_serial_set_custom_baud(int fd, unsigned baud, unsigned *actual);
/* The rate the device runs at, through termios2 (any rate). 0 or -errno. */
int tp_serial_get_baud(int fd, unsigned *baud);

#endif
