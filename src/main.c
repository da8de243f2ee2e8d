/* tpipe: the command line in, an exit status out. The only place that exits. */
#include "config.h"

#include <stdlib.h>
#include "cli.h"
#include "fdutil.h"
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
	if (opts.n_watch > 0)
		return tp_watch_run(&opts);
	tp_run(&opts, &result);
	return result.status;
}
