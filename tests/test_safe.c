/* Text from outside made safe for a terminal: UTF-8 kept, every control (C0, DEL, C1) and
 * every stray byte one '?', cut between characters only. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <string.h>
#include "safe.h"

static char out[64];

static const char *safe(const char *s, size_t room)
{
	size_t n = tp_safe_text(out, room, s, strlen(s));
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_uint_lt(n, room);
	return out;
}

START_TEST(test_kept_and_replaced)
{
	ck_assert_str_eq(safe("plain name.txt", 64), "plain name.txt");
	ck_assert_str_eq(safe("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64),
			 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	ck_assert_str_eq(safe("f\033[31mX", 64), "f?[31mX");           /* ESC */
	ck_assert_str_eq(safe("a\nb\rc\x7f" "d", 64), "a?b?c?d");       /* C0 and DEL */
	ck_assert_str_eq(safe("x\xc2\x9b" "2Jy", 64), "x?2Jy");         /* C1 CSI, as UTF-8 */
	ck_assert_str_eq(safe("x\x9b" "2Jy", 64), "x?2Jy");             /* a lone 0x9b */
	ck_assert_str_eq(safe("\xc0\xaf/\xed\xa0\x80|\xf4\x90\x80\x80", 64), "?" "?/???|????");
	ck_assert_str_eq(safe("\xe2\x82", 64), "??");                    /* cut short */
}
END_TEST

START_TEST(test_cut_between_characters)
{
	/* Room for 5 bytes and the NUL: "ab" + the 3-byte euro fits, the next does not. */
	ck_assert_str_eq(safe("ab\xe2\x82\xac\xe2\x82\xac", 6), "ab\xe2\x82\xac");
	ck_assert_str_eq(safe("ab\xe2\x82\xac\xe2\x82\xac", 5), "ab");
	ck_assert_str_eq(safe("abc", 1), "");
	/* n bounds the input; a NUL ends it earlier. */
	ck_assert_uint_eq(tp_safe_text(out, sizeof(out), "abcdef", 3), 3);
	ck_assert_str_eq(out, "abc");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("safe");
	TCase *tc = tcase_create("safe");
	tcase_add_test(tc, test_kept_and_replaced);
	tcase_add_test(tc, test_cut_between_characters);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
