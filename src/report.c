#include "config.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

void tp_report(const char *what, const char *why)
{
	fprintf(stderr, "tpipe: %s: %s\n", what, why);
}

void tp_report_errno(const char *what, int err)
{
	tp_report(what, strerror(err < 0 ? -err : err));
}
