#include "config.h"
#include "ctl_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ctl_path.h"
#include "ctl_proto.h"
#include "format.h"
#include "progress.h"
#include "report.h"

/* A failure: "tpipe: MODE: process PID WHAT" (MODE --remote or --query). */
static void say(const char *mode, int pid, const char *what)
{
	char why[160];

	snprintf(why, sizeof(why), "process %d %s", pid, what);
	tp_report(mode, why);
}

/* Whether `pid` is a process we may reach, and whose: 0, or 1 (said). Looked at before the
 * socket: a process of another user is refused without trying it. */
static int find_process(const char *mode, int pid, uid_t *uid)
{
	char proc[32];
	struct stat st;

	snprintf(proc, sizeof(proc), "/proc/%d", pid);
	if (stat(proc, &st) < 0) {
		if (errno == ENOENT) {
			snprintf(proc, sizeof(proc), "no process %d", pid);
			tp_report(mode, proc);
		} else {
			say(mode, pid, "cannot be looked at");
		}
		return 1;
	}
	if (st.st_uid != geteuid() && geteuid() != 0) {
		say(mode, pid, "is not yours");
		return 1;
	}
	*uid = st.st_uid;
	return 0;
}

/* Connects to the tpipe `pid` of user `uid`: a socket whose listener is that process. The
 * descriptor, or -1 when there is none (not a tpipe, a tpipe without a control socket, or
 * it has just ended). */
static int connect_to(int pid, uid_t uid)
{
	char paths[3][TP_CTL_PATH_MAX];
	unsigned n = tp_ctl_paths_for(paths, pid, uid);

	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_un addr = { .sun_family = AF_UNIX };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		memcpy(addr.sun_path, paths[i], strlen(paths[i]) + 1);
		/* A socket left by another process that once had this PID is not it. */
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
		    cred.pid == pid && cred.uid == uid)
			return fd;
		close(fd);
	}
	return -1;
}

/* Sends req and reads the reply, within TP_CTL_ANSWER_MS. 0, -ECONNRESET (closed first: it
 * ended, or refused us), -ETIMEDOUT, or -EPROTO (not a reply we read). */
static int exchange(int fd, const struct tp_ctl_msg *req, struct tp_ctl_msg *reply)
{
	unsigned char buf[TP_CTL_MSG_SIZE];
	size_t got = 0;

	if (tp_ctl_encode(req, buf) != 0)
		return -EPROTO;
	if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) != (ssize_t)sizeof(buf))
		return -ECONNRESET;
	while (got < sizeof(buf)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int rc = poll(&pfd, 1, TP_CTL_ANSWER_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return tp_ctl_decode(buf, got, reply) == 0 ? 0 : -EPROTO;
}

/* One request and its reply on a new connection. 0, 1 (said), or -ENOENT when the tpipe
 * cannot be reached (said by the caller, which knows whether that is the end). */
static int ask(const char *mode, int pid, uid_t uid, const struct tp_ctl_msg *req,
	       struct tp_ctl_msg *reply)
{
	int fd = connect_to(pid, uid);

	if (fd < 0)
		return -ENOENT;
	int rc = exchange(fd, req, reply);
	close(fd);
	if (rc == -ECONNRESET)
		return -ENOENT;
	if (rc == -ETIMEDOUT)
		say(mode, pid, "did not answer");
	else if (rc || reply->type != (req->type == TP_CTL_SET ? TP_CTL_ACK : TP_CTL_STATE))
		say(mode, pid, "answered with a message this tpipe does not read");
	else
		return 0;
	return 1;
}

/* -R: the settings given on our command line, as a SET. 0, or 2 (said). */
static int settings(const struct tp_options *o, struct tp_ctl_set *set)
{
	*set = (struct tp_ctl_set){ .rate = o->rate_limit, .total = o->size,
				    .interval_ns = o->interval_ns, .display = o->display,
				    .last_written = o->last_written };
	if (o->rate_set)
		set->fields |= TP_CTL_SET_RATE;
	if (o->size_set)
		set->fields |= TP_CTL_SET_TOTAL;
	if (o->interval_set)
		set->fields |= TP_CTL_SET_INTERVAL;
	if (o->display)
		set->fields |= TP_CTL_SET_DISPLAY;
	if (o->name) {
		if (strlen(o->name) >= sizeof(set->name)) {
			tp_report("--name", "at most 63 bytes with --remote");
			return 2;
		}
		set->fields |= TP_CTL_SET_NAME;
		strcpy(set->name, o->name);
	}
	if (o->format) {
		if (strlen(o->format) >= sizeof(set->format)) {
			tp_report("--format", "at most 399 bytes with --remote");
			return 2;
		}
		set->fields |= TP_CTL_SET_FORMAT;
		strcpy(set->format, o->format);
	}
	return 0; /* fields not named are not sent (tp_ctl_encode) */
}

static int remote(const struct tp_options *o)
{
	struct tp_ctl_msg req = { .type = TP_CTL_SET }, reply;
	uid_t uid;
	int pid = o->remote_pid;

	int rc = settings(o, &req.u.set);
	if (rc || (rc = find_process("--remote", pid, &uid)))
		return rc;
	rc = ask("--remote", pid, uid, &req, &reply);
	if (rc == -ENOENT) {
		say("--remote", pid, "is not a running tpipe");
		return 1;
	}
	if (rc)
		return rc;
	if (reply.u.ack.status) {
		char why[TP_CTL_WHY_MAX + 64];
		snprintf(why, sizeof(why), "process %d refused: %s", pid, reply.u.ack.why);
		tp_report("--remote", why);
		return 1;
	}
	return 0;
}

static unsigned term_width(const struct tp_options *o)
{
	struct winsize ws;

	if (o->width)
		return o->width;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* -Q: the other tpipe's line here, drawn as our own would be with the letters, --format and
 * -n given here (its name, size, line mode and rate are its own), every -i, until it ends. */
static int query(const struct tp_options *o)
{
	struct tp_ctl_msg req = { .type = TP_CTL_QUERY }, reply;
	struct tp_format fmt = { .n = 0 };
	struct tp_progress p;
	char name[TP_CTL_NAME_MAX], why[160];
	uid_t uid;
	int pid = o->query_pid;

	int rc = find_process("--query", pid, &uid);
	if (rc)
		return rc;
	if (o->format)
		tp_format_parse(&fmt, o->format, why, sizeof(why)); /* checked by cli.c */
	struct tp_progress_style style = {
		.numeric = o->numeric, .display = o->display, .format = o->format ? &fmt : NULL,
		.units = { .bits = o->bits, .si = o->si, .numeric = o->numeric },
	};
	tp_progress_init(&p, stderr, &style, NULL);
	for (bool first = true;; first = false) {
		rc = ask("--query", pid, uid, &req, &reply);
		if (rc == -ENOENT && first) {
			say("--query", pid, "is not a running tpipe");
			return 1;
		}
		if (rc == -ENOENT)
			break; /* it has ended */
		if (rc)
			return rc;
		const struct tp_ctl_state *st = &reply.u.state;
		snprintf(name, sizeof(name), "%s", st->name);
		p.name = st->named ? name : NULL;
		p.style.units.lines = st->line_mode;
		if (!o->format && o->display && !o->numeric) {
			tp_format_from_letters(&fmt, o->display, o->last_written, st->named);
			p.style.format = &fmt;
		}
		struct tp_snapshot snap = {
			.bytes_out = st->bytes, .elapsed = (double)st->elapsed_ns / 1e9,
			.ring_used = st->ring_pct, .ring_depth = 100, .total = st->total,
		};
		tp_progress_draw(&p, &snap, term_width(o));
		struct timespec ts = { (time_t)(o->interval_ns / 1000000000u),
				       (long)(o->interval_ns % 1000000000u) };
		nanosleep(&ts, NULL);
	}
	if (p.drawn && !o->numeric)
		fputc('\n', stderr);
	return 0;
}

int tp_ctl_client_run(const struct tp_options *o)
{
	return o->remote_pid ? remote(o) : query(o);
}
