#include "config.h"
#include "serial.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "signals.h"
#include "stats.h"

#define BUSY "busy: another program has this line open"

/* The lines open now, for tp_serial_restore_all (an input and an output at most). */
static struct tp_serial *open_lines[2];

static const struct { unsigned baud; speed_t speed; } speeds[] = {
	{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 }, { 150, B150 }, { 200, B200 },
	{ 300, B300 }, { 600, B600 }, { 1200, B1200 }, { 1800, B1800 }, { 2400, B2400 },
	{ 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
	{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
	{ 500000, B500000 }, { 576000, B576000 }, { 921600, B921600 }, { 1000000, B1000000 },
	{ 1152000, B1152000 }, { 1500000, B1500000 }, { 2000000, B2000000 },
	{ 2500000, B2500000 }, { 3000000, B3000000 }, { 3500000, B3500000 },
	{ 4000000, B4000000 },
};

speed_t tp_serial_speed(unsigned baud)
{
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
		if (speeds[i].baud == baud)
			return speeds[i].speed;
	return 0;
}

unsigned tp_serial_baud(speed_t speed)
{
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++)
		if (speeds[i].speed == speed)
			return speeds[i].baud;
	return 0;
}

/* Whether a character device is a terminal line, by the kernel's list of tty drivers
 * (/proc/tty/drivers: name, node, major, minor range, type), without opening it: an open
 * and close can drop DTR and reset a board. The system entries (/dev/tty, the console,
 * /dev/ptmx) and pty masters are not lines. */
static bool tty_line(dev_t dev)
{
	FILE *f = fopen("/proc/tty/drivers", "re");
	char line[256], type[64];
	unsigned maj, lo, hi;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%*s %*s %u %u-%u %63s", &maj, &lo, &hi, type);
		if (n == 3) { /* a single minor: "%u-%u" stopped at the type */
			if (sscanf(line, "%*s %*s %u %u %63s", &maj, &lo, type) != 3)
				continue;
			hi = lo;
		} else if (n != 4) {
			continue;
		}
		found = maj == major(dev) && minor(dev) >= lo && minor(dev) <= hi &&
			strncmp(type, "system", 6) != 0 && strcmp(type, "pty:master") != 0;
	}
	fclose(f);
	return found;
}

const char *tp_serial_path(const char *spec)
{
	struct stat st, mine;

	if (strncmp(spec, "serial:", 7) == 0)
		return spec + 7;
	if (strcmp(spec, "-") == 0 || stat(spec, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    !tty_line(st.st_rdev))
		return NULL;
	/* The terminal tpipe runs in is the user's, not a serial line: `-o /dev/pts/3` from
	 * that very terminal writes to it as it is (say serial:PATH to mean otherwise). */
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && fstat(fd, &mine) == 0 && mine.st_rdev == st.st_rdev)
			return NULL;
	return spec;
}

/* The settings we asked for, compared with what the device took: the first difference. */
static const char *refused(const struct termios *want, const struct termios *got)
{
	const tcflag_t frame = CSIZE | PARENB | CSTOPB;

	if ((got->c_cflag & frame) != (want->c_cflag & frame))
		return "8N1 refused";
	if ((got->c_cflag & CRTSCTS) != (want->c_cflag & CRTSCTS))
		return "RTS/CTS flow control refused";
	if ((got->c_iflag & (IXON | IXOFF)) != (want->c_iflag & (IXON | IXOFF)))
		return "XON/XOFF flow control refused";
	if ((got->c_lflag & (ICANON | ECHO | ISIG)) || (got->c_oflag & OPOST))
		return "raw mode refused";
	return NULL;
}

static void track(struct tp_serial *s, bool on)
{
	if (on) /* before the line is in the list: a signal may come at any time */
		tp_signals_add_exit_hook(tp_serial_restore_all);
	for (int i = 0; i < 2; i++) {
		if (on && !open_lines[i]) {
			open_lines[i] = s;
			return;
		}
		if (!on && open_lines[i] == s)
			open_lines[i] = NULL;
	}
}

/* Whether a line this process has open (open_lines) is the device fd is open on. */
static bool held_here(int fd)
{
	struct stat st, other;

	if (fstat(fd, &st) < 0)
		return false;
	for (int i = 0; i < 2; i++)
		if (open_lines[i] && open_lines[i]->fd >= 0 && fstat(open_lines[i]->fd, &other) == 0 &&
		    other.st_rdev == st.st_rdev)
			return true;
	return false;
}

static int configure(struct tp_serial *s, int flags, unsigned baud, enum tp_flow flow)
{
	struct termios want, got;

	if (tcgetattr(s->fd, &s->saved) < 0)
		return -errno;
	s->have_saved = true;
	track(s, true);
	want = s->saved;
	cfmakeraw(&want);
	want.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
	want.c_cflag |= CS8 | CLOCAL | CREAD;
	want.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	if (flow == TP_FLOW_RTSCTS)
		want.c_cflag |= CRTSCTS;
	else if (flow == TP_FLOW_XONXOFF)
		/* Sending, obey the peer's XOFF; receiving, send XOFF when full. Never both: a
		 * line with IXON swallows the 0x11 and 0x13 bytes of the data it receives. */
		want.c_iflag |= (flags & O_ACCMODE) == O_RDONLY ? IXOFF : IXON;
	want.c_cc[VMIN] = 1;
	want.c_cc[VTIME] = 0;
	speed_t speed = baud ? tp_serial_speed(baud) : 0;
	if (speed && (cfsetispeed(&want, speed) < 0 || cfsetospeed(&want, speed) < 0))
		return -errno;
	if (tcsetattr(s->fd, TCSANOW, &want) < 0 || tcgetattr(s->fd, &got) < 0)
		return -errno;
	if ((s->why = refused(&want, &got)))
		return -EINVAL;
	unsigned actual = tp_serial_baud(cfgetospeed(&got));
	if (baud && !speed) {
		int err = tp_serial_set_custom_baud(s->fd, baud, &actual);
		if (err)
			return err;
	} else if (!actual) {
		tp_serial_get_baud(s->fd, &actual); /* a custom rate set before us */
	}
	if (baud && actual != baud) {
		s->why = "baud rate refused by the device";
		return -EINVAL;
	}
	s->baud = actual;
	return 0;
}

int tp_serial_open(struct tp_serial *s, const char *path, int flags, unsigned baud,
		   enum tp_flow flow)
{
	int err;

	memset(s, 0, sizeof(*s));
	/* O_NONBLOCK: without carrier (no DCD), a blocking open of a modem line never returns. */
	s->fd = open(path, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		if (errno == EBUSY) /* another holds it with TIOCEXCL */
			s->why = BUSY;
		return -errno;
	}
	/* TIOCEXCL keeps others off, but not root; a lock keeps off every program that takes
	 * one too (a second tpipe, lrzsz, minicom and the like), and is taken first, so that a
	 * refused opener touches nothing of the line. */
	if (!isatty(s->fd)) {
		err = -ENOTTY;
	} else if (held_here(s->fd)) {
		err = -EBUSY;
		s->why = "busy: this tpipe has the line open already (one line is not both input "
			 "and output)";
	} else if (flock(s->fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			s->why = BUSY;
	} else if (ioctl(s->fd, TIOCEXCL) < 0) {
		err = -errno;
	} else {
		s->exclusive = true;
		err = configure(s, flags, baud, flow);
	}
	if (!err && tcflush(s->fd, TCIFLUSH) < 0)
		err = -errno;
	if (err) {
		const char *why = s->why;
		tp_serial_close(s);
		s->why = why;
		return err;
	}
	return 0;
}

int tp_serial_drain(struct tp_serial *s, uint64_t deadline_ns, uint64_t drain_ns,
		    size_t *discarded)
{
	int err = 0;

	/* A line held by flow control, or a slow one, may take long: signals act meanwhile
	 * (the second one exits, settings restored), and after a stop the queue is watched
	 * rather than waited for, so that the deadline holds. */
	*discarded = 0;
	tp_signals_let_in(true);
	for (;;) {
		if (!tp_signals_stop_requested()) {
			if (tcdrain(s->fd) == 0)
				break;
			if (errno != EINTR) {
				err = -errno;
				break;
			}
			continue;
		}
		int queued = 0;
		if (ioctl(s->fd, TIOCOUTQ, &queued) < 0 || queued <= 0)
			break;
		uint64_t now = tp_clock_ns();
		if (!deadline_ns)
			deadline_ns = now + drain_ns;
		if (now >= deadline_ns) {
			*discarded = (size_t)queued;
			tcflush(s->fd, TCOFLUSH);
			break;
		}
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	tp_signals_let_in(false);
	return err;
}

int tp_serial_close(struct tp_serial *s)
{
	int err = 0;

	if (s->fd < 0)
		return 0;
	/* After a stop, what the drain did not get out is discarded, not waited for at close
	 * (a driver may wait 30 s for its queue there). */
	if (tp_signals_stop_requested())
		tcflush(s->fd, TCOFLUSH);
	if (s->have_saved && tcsetattr(s->fd, TCSANOW, &s->saved) < 0)
		err = -errno;
	if (s->exclusive)
		ioctl(s->fd, TIOCNXCL);
	track(s, false);
	if (close(s->fd) < 0 && !err)
		err = -errno;
	s->fd = -1;
	return err;
}

void tp_serial_restore_all(void)
{
	for (int i = 0; i < 2; i++) {
		struct tp_serial *s = open_lines[i];
		if (s && s->fd >= 0 && s->have_saved)
			tcsetattr(s->fd, TCSANOW, &s->saved);
	}
}
