#include "config.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

static const char *prefix = "";
static const char *separator = "";

void tp_report_set_name(const char *name)
{
	prefix = name ? name : "";
	separator = name ? ": " : "";
}

void tp_report(const char *what, const char *why)
{
	fprintf(stderr, "tpipe: %s%s%s: %s\n", prefix, separator, what, why);
}

void tp_report_errno(const char *what, int err)
{
	tp_report(what, strerror(err < 0 ? -err : err));
}
