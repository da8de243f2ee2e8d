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

static void (*hook)(void *);
static void *hook_arg;

void tp_report_set_hook(void (*before)(void *arg), void *arg)
{
	hook = before;
	hook_arg = arg;
}

void tp_report(const char *what, const char *why)
{
	if (hook)
		hook(hook_arg);
	fprintf(stderr, "tpipe: %s%s%s: %s\n", prefix, separator, what, why);
}

void tp_report_errno(const char *what, int err)
{
	tp_report(what, strerror(err < 0 ? -err : err));
}
