/* The one error line format: "tpipe: WHAT: WHY" on standard error. */
#ifndef TP_REPORT_H
#define TP_REPORT_H

/* -N NAME: every later message reads "tpipe: NAME: WHAT: WHY". */
void tp_report_set_name(const char *name);
/* Called before each message, e.g. to end a progress line first. */
void tp_report_set_hook(void (*before)(void *arg), void *arg);
/* what: the object (a path, "standard output", an option); err: a positive or negative errno. */
void tp_report_errno(const char *what, int err);
/* why: a ready-made reason. */
void tp_report(const char *what, const char *why);

#endif
