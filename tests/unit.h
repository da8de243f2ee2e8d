/* What every Check program in tests/ ends with. */
#ifndef TP_TESTS_UNIT_H
#define TP_TESTS_UNIT_H

#include <check.h>

/* Runs the suite, printing Check's summary; the exit status make check expects. */
static inline int tp_unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
