#include "config.h"
#include "ctl_server.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "report.h"
#include "signals.h"

/* The channel is off: one line, and the transfer goes on. */
static void say_off(const char *what, const char *why)
{
	char line[256];

	snprintf(line, sizeof(line), "%s; no control socket (-R and -Q cannot reach this tpipe)",
		 why);
	tp_report(what, line);
}

void tp_ctl_server_open(struct tp_ctl_server *s, const struct tp_ctl_target *t)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *why;

	*s = (struct tp_ctl_server){ .listen_fd = -1, .client_fd = -1, .t = *t };
	int err = tp_ctl_own_path(s->path, getpid(), &why);
	if (err) {
		say_off(s->path, why);
		s->path[0] = 0;
		return;
	}
	_Static_assert(sizeof(addr.sun_path) >= TP_CTL_PATH_MAX, "a path fits sun_path");
	memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A socket named after our PID is a dead tpipe's: no live process has our PID. */
	unlink(s->path);
	mode_t mask = umask(0077);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 8) < 0) {
		err = errno;
		umask(mask);
		if (fd >= 0) {
			close(fd);
			unlink(s->path);
		}
		say_off(s->path, strerror(err));
		s->path[0] = 0;
		return;
	}
	umask(mask);
	s->listen_fd = fd;
	tp_signals_set_exit_unlink(s->path);
}

static void end_client(struct tp_ctl_server *s)
{
	close(s->client_fd);
	s->client_fd = -1;
	s->in_len = 0;
}

void tp_ctl_server_close(struct tp_ctl_server *s)
{
	if (s->client_fd >= 0)
		end_client(s);
	if (s->listen_fd < 0)
		return;
	tp_signals_set_exit_unlink(NULL);
	close(s->listen_fd);
	unlink(s->path);
	s->listen_fd = -1;
}

unsigned tp_ctl_server_fds(const struct tp_ctl_server *s, struct pollfd *pfd)
{
	if (s->listen_fd < 0)
		return 0;
	/* One connection at a time: the next waits in the backlog until this one is done. */
	pfd[0] = (struct pollfd){ .fd = s->client_fd >= 0 ? s->client_fd : s->listen_fd,
				  .events = POLLIN };
	return 1;
}

int tp_ctl_server_timeout(const struct tp_ctl_server *s, int want)
{
	if (s->client_fd < 0)
		return want;
	uint64_t now = tp_clock_ns();
	uint64_t ms = now >= s->client_deadline_ns ? 0
		      : (s->client_deadline_ns - now + 999999) / 1000000;
	int until = ms > INT_MAX ? INT_MAX : (int)ms;
	return want < 0 || until < want ? until : want;
}

/* QUERY: the transfer now, as the monitor sees it. */
static void state_now(struct tp_ctl_server *s, struct tp_ctl_state *st)
{
	const struct tp_monitor *m = s->t.monitor;
	const struct tp_counters *c = m->counters;
	uint64_t now = tp_clock_ns();
	uint64_t bytes = tp_counter_get(s->t.opts->frame ? &c->stream_out : &c->bytes_out);
	uint64_t elapsed = now - m->start_ns;
	unsigned depth = m->handoff->ring.depth, used = tp_handoff_used(m->handoff);
	double avg = elapsed ? (double)bytes * 1e9 / (double)elapsed : 0;

	/* The current rate: since the query before (a -Q asks once an interval), unless that
	 * was too recent to measure over; the average at first. */
	if (!s->q_ns)
		s->q_rate = avg;
	else if (now - s->q_ns >= 100000000 && bytes >= s->q_bytes)
		s->q_rate = (double)(bytes - s->q_bytes) * 1e9 / (double)(now - s->q_ns);
	if (!s->q_ns || now - s->q_ns >= 100000000) {
		s->q_bytes = bytes;
		s->q_ns = now;
	}
	*st = (struct tp_ctl_state){
		.bytes = bytes, .elapsed_ns = elapsed, .total = m->total,
		.rate_now = (uint64_t)(s->q_rate + 0.5), .rate_avg = (uint64_t)(avg + 0.5),
		.rate_limit = s->t.tuning->rate,
		.ring_pct = depth ? (unsigned)((uint64_t)used * 100 / depth) : 0,
		.line_mode = s->t.opts->line_mode, .named = m->name[0] != 0,
	};
	if (st->ring_pct > 100)
		st->ring_pct = 100;
	size_t n = strnlen(m->name, sizeof(st->name) - 1); /* a longer -N is cut */
	memcpy(st->name, m->name, n);
	st->name[n] = 0;
}

/* SET: checked whole, then applied: the monitor's settings, then the writer's rate. */
static void apply(struct tp_ctl_server *s, const struct tp_ctl_set *set, struct tp_ctl_ack *ack)
{
	unsigned f = set->fields;
	struct tp_monitor_change c = {
		.set_total = f & TP_CTL_SET_TOTAL, .total = set->total,
		.name = f & TP_CTL_SET_NAME ? set->name : NULL,
		.interval_ns = f & TP_CTL_SET_INTERVAL ? set->interval_ns : 0,
		.display = f & TP_CTL_SET_DISPLAY ? set->display : 0,
		.last_written = set->last_written,
		.format = f & TP_CTL_SET_FORMAT ? set->format : NULL,
	};

	*ack = (struct tp_ctl_ack){ .status = 0 };
	if (c.interval_ns && (c.interval_ns < 10000000 || c.interval_ns > 86400000000000ull)) {
		ack->status = EINVAL;
		snprintf(ack->why, sizeof(ack->why), "--interval: from 10ms to a day (1440m)");
		return;
	}
	if (tp_monitor_apply(s->t.monitor, &c) != 0) {
		ack->status = EINVAL;
		snprintf(ack->why, sizeof(ack->why), "--format: not a format this tpipe reads");
		return;
	}
	if (f & TP_CTL_SET_RATE) {
		tp_tune_rate(s->t.opts, s->t.sink_flags, s->t.page, set->rate, s->t.tuning);
		for (unsigned i = 0; i < s->t.outputs->n; i++)
			if (s->t.outputs->o[i].started)
				tp_writer_set_rate(&s->t.outputs->o[i].writer, s->t.tuning->rate,
						   s->t.tuning->burst, s->t.tuning->rate_lines);
	}
}

/* A whole request: answered (a 512-byte reply on a fresh socket never waits), and done. */
static void answer(struct tp_ctl_server *s, const struct tp_ctl_msg *req)
{
	struct tp_ctl_msg reply;
	unsigned char out[TP_CTL_MSG_SIZE];

	if (req->type == TP_CTL_SET) {
		reply.type = TP_CTL_ACK;
		apply(s, &req->u.set, &reply.u.ack);
	} else if (req->type == TP_CTL_QUERY) {
		reply.type = TP_CTL_STATE;
		state_now(s, &reply.u.state);
	} else {
		s->dropped++; /* a reply sent to us */
		return;
	}
	if (tp_ctl_encode(&reply, out) == 0 &&
	    send(s->client_fd, out, sizeof(out), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client went away: nothing to tell it */
	}
}

/* Reads what the connection has; answers and ends it once a request is whole. */
static void read_client(struct tp_ctl_server *s)
{
	struct tp_ctl_msg req;

	ssize_t n = recv(s->client_fd, s->in + s->in_len, sizeof(s->in) - s->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* gone before its request was whole, or an error */
		s->dropped++;
		end_client(s);
		return;
	}
	s->in_len += (size_t)n;
	int rc = tp_ctl_decode(s->in, s->in_len, &req);
	if (rc == -EAGAIN)
		return;
	if (rc == 0)
		answer(s, &req);
	else
		s->dropped++; /* garbage, too much, another version */
	end_client(s);
}

/* Takes the next connection: ours or root's is served, any other closed unanswered. */
static void accept_client(struct tp_ctl_server *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return; /* EAGAIN (it went away), or out of descriptors: the next poll retries */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		s->refused++;
		close(fd);
		return;
	}
	s->client_fd = fd;
	s->client_deadline_ns = tp_clock_ns() + TP_CTL_CLIENT_NS;
	s->in_len = 0;
	read_client(s); /* the request is often there already */
}

void tp_ctl_server_serve(struct tp_ctl_server *s, const struct pollfd *pfd, unsigned n)
{
	if (s->listen_fd < 0)
		return;
	bool ready = n > 0 && pfd[0].revents;
	if (s->client_fd >= 0 && ready)
		read_client(s);
	else if (s->client_fd < 0 && ready)
		accept_client(s);
	if (s->client_fd >= 0 && tp_clock_ns() >= s->client_deadline_ns) {
		s->dropped++; /* too slow: the next one may be waiting */
		end_client(s);
	}
}
