#include "config.h"
#include "report.h"

#include <stdio.h>
#include <string.h>
#include "safe.h"

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
	/* Names in messages come from outside (files, the far side, other processes'): never a
	 * control sequence on the terminal. */
	char name[256], w[4200], y[4200]; /* a path of PATH_MAX, and what is said of it */

	tp_safe_text(name, sizeof(name), prefix, strlen(prefix));
	tp_safe_text(w, sizeof(w), what, strlen(what));
	tp_safe_text(y, sizeof(y), why, strlen(why));
	if (hook)
		hook(hook_arg);
	fprintf(stderr, "tpipe: %s%s%s: %s\n", name, separator, w, y);
}

void tp_report_errno(const char *what, int err)
{
	tp_report(what, strerror(err < 0 ? -err : err));
}
