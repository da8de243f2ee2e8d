#include "config.h"
#include "inputs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "netaddr.h"
#include "pump.h"
#include "report.h"
#include "signals.h"

/* Why reading src would never end, or NULL: it is a file we write to (`tpipe f >> f`;
 * cat refuses it too), or a udp:// address our datagrams go to. */
static const char *input_is_output(const struct tp_outputs *outs, const struct tp_source *src)
{
	struct stat st;
	bool regular = fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode);

	for (unsigned i = 0; i < outs->n; i++) {
		const struct tp_sink *sink = &outs->o[i].sink;
		if (!outs->o[i].opened)
			continue;
		if (sink->ino && regular && st.st_dev == sink->dev && st.st_ino == sink->ino)
			return "input file is output file";
		if (src->addr_len && sink->addr_len &&
		    tp_netaddr_loops((const struct sockaddr *)&src->addr,
				     (const struct sockaddr *)&sink->addr))
			return "input is the output: every datagram would come back in, for ever";
	}
	return NULL;
}

/* -E: a skip was made (source.h). Each is said; with -EE only an input's first. */
static void say_skipped(const void *arg, const struct tp_source *src, uint64_t offset,
			uint64_t len, int err)
{
	const struct tp_inputs *in = arg;
	char why[192];

	if (in->skip_errors > 1 && src->skip.ranges > 1)
		return;
	snprintf(why, sizeof(why), "skipped %llu bytes at offset %llu: %s",
		 (unsigned long long)len, (unsigned long long)offset, strerror(err));
	tp_report(src->name, why);
}

/* -EE: after an input with skips, how much was skipped in all. */
static void say_skipped_in_all(const struct tp_source *src)
{
	char why[160];
	unsigned long long n = src->skip.ranges;

	snprintf(why, sizeof(why), "skipped %llu bytes in %llu place%s in all, zeros in their "
		 "place", (unsigned long long)src->skip.bytes, n, n == 1 ? "" : "s");
	tp_report(src->name, why);
}

/* Opens one input; a FIFO waits for its writer, so signals act meanwhile. 0, TP_PUMP_STOP
 * (a signal came first) or -errno. */
static int open_input(struct tp_reader *r, struct tp_source *src, const char *name,
		      const struct tp_inputs *in)
{
	struct tp_source_params p = in->source;
	int rc;

	p.skip_errors = in->skip_errors > 0;
	p.skipped = say_skipped;
	p.skipped_arg = in;
	do {
		tp_signals_let_in(true);
		rc = tp_source_open(src, name, &p);
		tp_signals_let_in(false);
		tp_monitor_poll(&r->monitor);
	} while (rc == -EINTR && !tp_signals_stop_requested());
	if (rc == -EINTR)
		return TP_PUMP_STOP;
	if (rc == 0 && in->explain && src->local[0])
		fprintf(stderr, "tpipe: input: listening on %s\n", src->local);
	return rc;
}

int tp_inputs_read(struct tp_reader *r, const struct tp_inputs *in)
{
	int status = 0;

	for (int i = 0; i < in->n; i++) {
		struct tp_source src;
		const char *why = NULL;
		int rc = open_input(r, &src, in->names[i], in);
		if (rc == 0) {
			why = input_is_output(in->outputs, &src);
			if (!why)
				rc = in->deframe ? tp_rx_pump(r, &src) : tp_pump_raw(r, &src);
			r->kernel_drops += src.kernel_drops;
			r->foreign_datagrams += src.foreign_datagrams;
			if (src.skip.ranges) {
				if (in->skip_errors > 1)
					say_skipped_in_all(&src);
				status = 1;
			}
			tp_source_close(&src);
		}
		if (rc < 0 || why) {
			const char *what = src.name ? src.name : in->names[i];
			if (why || src.why)
				tp_report(what, why ? why : src.why);
			else
				tp_report_errno(what, rc);
			status = 1;
		}
		if (rc == TP_PUMP_STOP)
			break;
	}
	if (in->deframe) {
		if (tp_rx_finish(r) < 0)
			status = 1;
	} else {
		tp_pump_finish(r);
	}
	if (r->chunk && r->chunk->len)
		tp_reader_hand_over(r);
	return status;
}

uint64_t tp_inputs_total(char *const *names, int n, uint64_t size)
{
	uint64_t sum = 0;

	if (size)
		return size;
	for (int i = 0; i < n; i++) {
		struct stat st;
		const char *in = names[i];
		int fd = in[0] == '-' && in[1] == 0 ? STDIN_FILENO : -1;
		if ((fd >= 0 ? fstat(fd, &st) : stat(in, &st)) < 0 || !S_ISREG(st.st_mode))
			return 0;
		sum += (uint64_t)st.st_size;
	}
	return sum;
}
