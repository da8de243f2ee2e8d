#include "config.h"
#include "engine_choose.h"

#include <stdio.h>
#include <string.h>
#include "pipes.h"

const char *tp_engine_splice_refusal(const struct tp_engine_choice *c)
{
	if (c->asked != TP_ENGINE_AUTO && c->asked != TP_ENGINE_SPLICE)
		return "set by --engine";
	if (c->bytes_touched)
		return "-F and -D work on the bytes in memory";
	if (c->lines_counted)
		return "-l counts the lines in the bytes, which splice never brings into memory";
	if (c->datagram_input)
		return "a udp:// input comes in datagrams";
	/* Several outputs tee the chunks' pipes (engine_tee.c): into anything splice writes. */
	if (c->several_outputs && (c->all_sink_flags & TP_SINK_DGRAM))
		return "several outputs, one of them udp://, which sends datagrams from memory";
	if (c->several_outputs && (c->all_sink_flags & TP_SINK_TTY))
		return "several outputs, one of them a terminal";
	if (!c->several_outputs && !(c->sink_flags & (TP_SINK_PIPE | TP_SINK_STREAM)))
		return "the output is not a pipe";
	if (!tp_pipes_kernel_ok())
		return "kernel older than 5.17 (CVE-2022-0847)";
	return NULL;
}

enum tp_engine_kind tp_engine_kind_for(const struct tp_engine_choice *c, const char *no_splice,
				       int splice_err)
{
	return !no_splice && !splice_err ? TP_ENGINE_SPLICE : c->asked;
}

void tp_engine_explain(const struct tp_engine_choice *c, const struct tp_engine *eng,
		       unsigned depth, const char *no_splice, int splice_err, char *buf, size_t len)
{
	if (eng->ops == &tp_engine_tee_ops)
		snprintf(buf, len, "%s; a ring of %u pipes that each output tee()s into a pipe of its "
			 "own: the bytes are never copied into tpipe",
			 c->asked == TP_ENGINE_SPLICE ? "set by --engine" :
			 "default for several outputs when no option touches the bytes", depth);
	else if (eng->ops == &tp_engine_splice_ops)
		snprintf(buf, len, "%s; a ring of %u pipes, one per chunk: the bytes are never copied "
			 "into tpipe", c->asked == TP_ENGINE_SPLICE ? "set by --engine" :
			 eng->sink->flags & TP_SINK_STREAM ? "default for a tcp:// output when no option "
			 "touches the bytes" : "default for a pipe output when no option touches the bytes",
			 depth);
	else if (eng->sink->flags & TP_SINK_SHARED)
		snprintf(buf, len, "a file inherited as standard output: io_uring would move a file "
			 "position others may share without its lock, write() keeps every writer's bytes");
	else if (c->asked != TP_ENGINE_AUTO)
		snprintf(buf, len, "set by --engine");
	else if (splice_err)
		snprintf(buf, len, "a ring of pipes was refused (%s); %s%s", strerror(-splice_err),
			 eng->fallback_err ? "io_uring unavailable: " : "write() would be used if io_uring "
			 "were refused", eng->fallback_err ? strerror(-eng->fallback_err) : "");
	else if (eng->fallback_err)
		snprintf(buf, len, "io_uring unavailable: %s", strerror(-eng->fallback_err));
	else
		snprintf(buf, len, "default (no splice: %s); write() would be used if io_uring were "
			 "refused", no_splice);
}
