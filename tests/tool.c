#include "config.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

_Noreturn void tool_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", tool_name, what, strerror(errno));
	exit(1);
}

_Noreturn void tool_usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s\nusage: %s\n", tool_name, msg, tool_usage);
	exit(2);
}

double tool_prob(const char *s)
{
	char *end;
	double p = strtod(s, &end);

	if (end == s || *end || !(p >= 0 && p <= 1))
		tool_usage_error("a probability must be a number from 0 to 1");
	return p;
}

unsigned long long tool_number(const char *s, unsigned long long min, unsigned long long max)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *end || *s == '-' || errno || v < min || v > max)
		tool_usage_error("bad number");
	return v;
}

void tool_write_atomic(const char *path, const char *text)
{
	char tmp[4096];

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || rename(tmp, path))
		tool_die(path);
}

uint64_t tool_splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void tool_pattern(unsigned char *buf, uint64_t off, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len;) {
		uint64_t word = tool_splitmix((off + i) / 8 ^ seed);
		unsigned b = (unsigned)((off + i) % 8);
		for (; b < 8 && i < len; b++, i++)
			buf[i] = (unsigned char)(word >> (8 * b));
	}
}

int tool_open_pty(int *slave, char *path, size_t size, unsigned long long baud)
{
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, path, size) ||
	    fcntl(m, F_SETFL, O_NONBLOCK))
		tool_die("posix_openpt");
	int s = open(path, O_RDWR | O_NOCTTY);
	if (s < 0 || tcgetattr(s, &t))
		tool_die(path);
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	cfsetspeed(&t, (speed_t)baud);	/* glibc takes 115200 for B115200; may refuse */
	if (tcsetattr(s, TCSANOW, &t))
		tool_die(path);
	*slave = s;
	return m;
}
