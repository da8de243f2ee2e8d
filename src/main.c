/* tpipe: the command line in, an exit status out. The only place that exits. */
#include "config.h"

#include <stdlib.h>
#include "cli.h"
#include "ctl_client.h"
#include "fdutil.h"
#include "format.h"
#include "modem_run.h"
#include "pidfile.h"
#include "report.h"
#include "run.h"
#include "watch.h"

int main(int argc, char **argv)
{
	struct tp_options opts;
	struct tp_result result;

	/* Before anything opens a file, so nothing of ours lands on fd 0, 1 or 2. */
	if (tp_fd_guard_std() < 0)
		return TP_EXIT_FAILURE;
	tp_cli_parse(argc, argv, &opts);
	/* --format is parsed by the display (format.h), above the command line's layer: a bad
	 * one is a usage error all the same, said before anything starts. */
	struct tp_format format;
	char why[160];
	if (opts.format && tp_format_parse(&format, opts.format, why, sizeof(why)) != 0) {
		tp_report("--format", why);
		return TP_EXIT_USAGE;
	}
	if (opts.remote_pid || opts.query_pid)
		return tp_ctl_client_run(&opts); /* another tpipe's: no transfer here */
	/* -P: before any data moves, removed on every way out (the second SIGINT or SIGTERM's
	 * too: pidfile.h). */
	tp_report_set_name(opts.name);
	int err = opts.pidfile ? tp_pidfile_write(opts.pidfile) : 0;
	if (err) {
		tp_report_errno(opts.pidfile, err);
		return TP_EXIT_FAILURE;
	}
	if (opts.n_watch > 0)
		result.status = tp_watch_run(&opts); /* another process's files: no transfer */
	else if (opts.protocol_set)
		result.status = tp_modem_run(&opts); /* XMODEM or YMODEM: a protocol of its own */
	else
		tp_run(&opts, &result);
	tp_pidfile_remove();
	return result.status;
}
