/* Any baud rate, through termios2 and BOTHER. In a file of its own: <asm/termbits.h>, which
 * has struct termios2, clashes with glibc's <termios.h>. */
#include "config.h"

#include <asm/termbits.h>
#include <errno.h>
#include <sys/ioctl.h>

/* The prototypes are in serial.h, which includes <termios.h>: declared again here. */
int tp_serial_set_custom_baud(int fd, unsigned baud, unsigned *actual);
int tp_serial_get_baud(int fd, unsigned *baud);

int tp_serial_set_custom_baud(int fd, unsigned baud, unsigned *actual)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) < 0)
		return -errno;
	t.c_cflag &= ~(tcflag_t)(CBAUD | (CBAUD << IBSHIFT));
	t.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
	t.c_ispeed = baud;
	t.c_ospeed = baud;
	if (ioctl(fd, TCSETS2, &t) < 0 || ioctl(fd, TCGETS2, &t) < 0)
		return -errno;
	*actual = t.c_ospeed;
	return 0;
}

int tp_serial_get_baud(int fd, unsigned *baud)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) < 0)
		return -errno;
	*baud = t.c_ospeed;
	return 0;
}
