/* pty-run: runs a command on a new pseudo-terminal, as if typed in a terminal window.
 *   pty-run [-o FILE] [-w COLSxROWS] [--] COMMAND [ARG...]
 * The command gets a new session whose controlling terminal is the pty (standard input, output
 * and error all on it, its process group in the foreground), a window of COLSxROWS (default
 * 100x30), and output processing off, so every byte the command writes to the terminal is
 * copied unchanged ("\n" is not turned into "\r\n") to FILE (default: standard output), as it
 * comes. pty-run exits with the command's status, or 128 + N if signal N killed it; 127 if it
 * could not be run, 125 if the pty could not be set up.
 * Once the command has ended, what remains to be read is copied until every holder of the
 * terminal has closed it or 200 ms pass without output (a background job that still holds it
 * does not keep pty-run waiting). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int copy_out(int out, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(out, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies what the master has within timeout_ms. Returns 1 if something was copied, 0 if not,
 * -1 once the terminal is closed on the other side (or on an error). */
static int pump(int master, int out, int timeout_ms)
{
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	char buf[16384];
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return 0;
	ssize_t r = read(master, buf, sizeof(buf));
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1; /* EIO: every slave fd is closed */
	if (r == 0)
		return -1;
	if (copy_out(out, buf, (size_t)r) < 0) {
		perror("pty-run: writing the copy");
		return -1;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	const char *file = NULL;
	int opt, out = STDOUT_FILENO, master, slave;

	while ((opt = getopt(argc, argv, "+o:w:")) != -1) {
		switch (opt) {
		case 'o':
			file = optarg;
			break;
		case 'w': {
			unsigned c, r;
			if (sscanf(optarg, "%ux%u", &c, &r) != 2 || !c || !r || c > 9999 || r > 9999) {
				fprintf(stderr, "pty-run: -w: '%s' is not COLSxROWS\n", optarg);
				return 125;
			}
			ws.ws_col = (unsigned short)c;
			ws.ws_row = (unsigned short)r;
			break;
		}
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	if (file) {
		out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			fprintf(stderr, "pty-run: %s: %s\n", file, strerror(errno));
			return 125;
		}
	}
	if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
		perror("pty-run: openpty");
		return 125;
	}
	struct termios tio;
	if (tcgetattr(slave, &tio) == 0) {
		tio.c_oflag &= ~(tcflag_t)OPOST; /* the bytes as written */
		tio.c_lflag &= ~(tcflag_t)(ECHO | TOSTOP);
		tcsetattr(slave, TCSANOW, &tio);
	}
	/* Ours is a plain copy loop: a signal for us (the timeout's) just ends us, and closing the
	 * master then hangs up the command's terminal. */
	pid_t pid = fork();
	if (pid < 0) {
		perror("pty-run: fork");
		return 125;
	}
	if (pid == 0) {
		close(master);
		if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
			perror("pty-run: making the pty the controlling terminal");
			_exit(125);
		}
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
			perror("pty-run: dup2");
			_exit(125);
		}
		if (slave > 2)
			close(slave);
		if (tcsetpgrp(0, getpgrp()) < 0) {
			perror("pty-run: tcsetpgrp");
			_exit(125);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "pty-run: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(slave);

	int status = 0, open_side = 1;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("pty-run: waitpid");
			return 125;
		}
		if (open_side && pump(master, out, 20) < 0)
			open_side = 0;
		if (!open_side)
			usleep(20000);
	}
	/* The command is gone: take what it left, without waiting on a job that outlives it. */
	while (open_side) {
		int r = pump(master, out, 200);
		if (r <= 0)
			break;
	}
	close(master);
	if (file && close(out) < 0) {
		perror("pty-run: closing the copy");
		return 125;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;

usage:
	fprintf(stderr, "usage: pty-run [-o FILE] [-w COLSxROWS] [--] COMMAND [ARG...]\n");
	return 125;
}
