/* tpipe: the command line in, an exit status out. The only place that exits. */
#include "config.h"

#include <stdlib.h>
#include "cli.h"
#include "run.h"

int main(int argc, char **argv)
{
	struct tp_options opts;
	struct tp_result result;

	tp_cli_parse(argc, argv, &opts);
	tp_run(&opts, &result);
	return result.status;
}
