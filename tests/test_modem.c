/* XMODEM and YMODEM (src/modem/): the block codec and block 0 against the reference's
 * rules, and the sender and receiver state machines over a fake line whose far end is
 * scripted here: ACKs, a NAK, a damaged block, CAN CAN, silence. */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <string.h>
#include "modem_block.h"
#include "modem_recv.h"
#include "modem_send.h"

START_TEST(test_crc16_check_value)
{
	ck_assert_uint_eq(tp_modem_crc16(0, "123456789", 9), 0x31c3);
}
END_TEST

START_TEST(test_block_round_trip)
{
	unsigned char data[TP_MODEM_LARGE], block[TP_MODEM_BLOCK_MAX];
	unsigned number;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	for (int crc = 0; crc < 2; crc++)
		for (size_t len = TP_MODEM_SMALL; len <= TP_MODEM_LARGE; len *= 8) {
			size_t n = tp_modem_block_encode(block, 257, data, len, crc);
			ck_assert_uint_eq(n, tp_modem_block_size(block[0], crc));
			ck_assert_uint_eq(block[0], len == TP_MODEM_LARGE ? TP_MODEM_STX : TP_MODEM_SOH);
			ck_assert_int_eq(tp_modem_block_check(block, crc, &number), 0);
			ck_assert_uint_eq(number, 1);   /* mod 256 */
			ck_assert_mem_eq(block + 3, data, len);
			for (size_t at = 1; at < n; at += 37) {   /* any byte changed: refused */
				block[at] ^= 0x10;
				ck_assert_int_eq(tp_modem_block_check(block, crc, &number), -EBADMSG);
				block[at] ^= 0x10;
			}
		}
	ck_assert_uint_eq(tp_modem_block_size('x', true), 0);
}
END_TEST

START_TEST(test_header)
{
	struct tp_modem_file f = { .size = 60007, .size_known = true, .mtime = 01234567,
				   .mode = 0100644 }, g;
	unsigned char data[TP_MODEM_LARGE];

	strcpy(f.name, "firmware.bin");
	int len = tp_modem_header_encode(data, &f);
	ck_assert_int_eq(len, TP_MODEM_SMALL);
	ck_assert_str_eq((char *)data, "firmware.bin");
	ck_assert_str_eq((char *)data + 13, "60007 1234567 100644");   /* with the type, as sb */
	ck_assert_int_eq(tp_modem_header_parse(data, (size_t)len, &g), 0);
	ck_assert_str_eq(g.name, "firmware.bin");
	ck_assert(g.size_known);
	ck_assert_uint_eq(g.size, 60007);
	ck_assert_int_eq(g.mtime, 01234567);
	ck_assert_uint_eq(g.mode, 0644);
	/* A long name takes a 1 KiB block 0; one that does not fit is refused. */
	memset(f.name, 'a', 200);
	f.name[200] = 0;
	ck_assert_int_eq(tp_modem_header_encode(data, &f), TP_MODEM_LARGE);
	/* The empty name ends a batch; a name alone (no size) is a file of unknown size. */
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(tp_modem_header_parse(data, TP_MODEM_SMALL, &g), 1);
	memcpy(data, "x", 2);
	ck_assert_int_eq(tp_modem_header_parse(data, TP_MODEM_SMALL, &g), 0);
	ck_assert(!g.size_known);
	memcpy(data, "x\0zz", 5);
	ck_assert_int_eq(tp_modem_header_parse(data, TP_MODEM_SMALL, &g), -EBADMSG);
	memset(data, 'a', TP_MODEM_SMALL);   /* no NUL */
	ck_assert_int_eq(tp_modem_header_parse(data, TP_MODEM_SMALL, &g), -EBADMSG);
	static const char *const bad[] = { "../evil", "..", ".", "a/b", "/etc/passwd", "x\033[2J",
					   ".bashrc", "x\x9b" "2J" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(data, 0, sizeof(data));
		memcpy(data, bad[i], strlen(bad[i]));
		memcpy(data + strlen(bad[i]) + 1, "10", 2);
		ck_assert_int_eq(tp_modem_header_parse(data, TP_MODEM_SMALL, &g), -EPERM);
		ck_assert(!tp_modem_name_ok(bad[i]));
	}
	ck_assert(tp_modem_name_ok("x..y"));
	ck_assert(tp_modem_name_ok("caf\xc3\xa9.bin"));   /* UTF-8 is fine */
	/* A size too long to be a number is refused, not cut short. */
	memset(data, 0, sizeof(data));
	memcpy(data, "f\0" "123456789012345678901234567890123456789", 42);
	ck_assert_int_eq(tp_modem_header_parse(data, TP_MODEM_SMALL, &g), -EBADMSG);
}
END_TEST

/* ---- a fake line: bytes the far end sends wait in `in`; what we send goes to `peer`, a
 * scripted far end, which answers into `in`. An empty `in` is a timeout. */
struct fake {
	unsigned char in[1 << 16];
	size_t in_at, in_len;
	unsigned char out[1 << 17];   /* what we sent, in order */
	size_t out_len;
	void (*peer)(struct fake *, const unsigned char *, size_t);
	int state;                    /* the peer's */
	unsigned block;
	unsigned char data[8192];     /* a sender peer's file, or what a receiver peer got */
	size_t data_len, data_at;
	unsigned naks_to_send;
};

static void feed(struct fake *f, const void *p, size_t n)
{
	memcpy(f->in + f->in_len, p, n);
	f->in_len += n;
}

static int fake_get(void *ctx, unsigned ms)
{
	struct fake *f = ctx;

	(void)ms;
	return f->in_at < f->in_len ? f->in[f->in_at++] : -ETIMEDOUT;
}

static int fake_put(void *ctx, const void *buf, size_t n)
{
	struct fake *f = ctx;

	memcpy(f->out + f->out_len, buf, n);
	f->out_len += n;
	if (f->peer)
		f->peer(f, buf, n);
	return 0;
}

static void fake_purge(void *ctx, unsigned ms)
{
	struct fake *f = ctx;

	(void)ms;
	f->in_at = f->in_len;
}

static const struct tp_modem_line_ops fake_ops = { fake_get, fake_put, fake_purge };
static const struct tp_modem_timing fast = { .start_ms = 10, .block_ms = 10, .char_ms = 10,
						 .nudge_ms = 10, .tries = 10 };

/* A receiver peer: ACKs each whole block (NAKs the second one naks_to_send times), keeps the
 * data, ACKs EOT. */
static void receiver_peer(struct fake *f, const unsigned char *p, size_t n)
{
	static const unsigned char ack = TP_MODEM_ACK, nak = TP_MODEM_NAK;
	unsigned number;

	if (n == 1 && p[0] == TP_MODEM_EOT) {
		feed(f, &ack, 1);
		return;
	}
	if (n < 4 || tp_modem_block_check(p, true, &number) != 0)
		return;
	if (number == 2 && f->naks_to_send) {
		f->naks_to_send--;
		feed(f, &nak, 1);
		return;
	}
	size_t len = p[0] == TP_MODEM_STX ? TP_MODEM_LARGE : TP_MODEM_SMALL;
	memcpy(f->data + f->data_len, p + 3, len);
	f->data_len += len;
	feed(f, &ack, 1);
}

struct mem_src {
	const unsigned char *p;
	size_t len, at;
	bool given;
};

static int mem_next(void *ctx, struct tp_modem_file *out)
{
	struct mem_src *m = ctx;

	if (m->given)
		return 0;
	m->given = true;
	memset(out, 0, sizeof(*out));
	strcpy(out->name, "f");
	out->size = m->len;
	out->size_known = true;
	return 1;
}

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
	struct mem_src *m = ctx;
	size_t k = m->len - m->at < n ? m->len - m->at : n;

	memcpy(buf, m->p + m->at, k);
	m->at += k;
	return (ssize_t)k;
}

static const struct tp_modem_source mem_source = { mem_next, mem_read };
static unsigned char file[3000];

static void fill_file(void)
{
	for (unsigned i = 0; i < sizeof(file); i++)
		file[i] = (unsigned char)(i * 31 + 7);
}

START_TEST(test_send_xmodem_1k)
{
	static struct fake f;
	struct tp_modem_line line = { &fake_ops, &f };
	struct mem_src m = { file, sizeof(file), 0, false };
	struct tp_modem_stats st = { 0 };
	const char *why = NULL;

	fill_file();
	memset(&f, 0, sizeof(f));
	f.peer = receiver_peer;
	f.naks_to_send = 1;
	feed(&f, "CCC", 3);   /* requests queued before we started: one is taken, the rest dropped */
	ck_assert_int_eq(tp_modem_send(TP_MODEM_XMODEM_1K, &fast, &line, &mem_source, &m, &st, &why), 0);
	/* 2 blocks of 1 KiB, then 952 bytes as a 1 KiB block (more than 768 left). */
	ck_assert_uint_eq(f.data_len, 3 * TP_MODEM_LARGE);
	ck_assert_mem_eq(f.data, file, sizeof(file));
	for (size_t i = sizeof(file); i < f.data_len; i++)
		ck_assert_uint_eq(f.data[i], TP_MODEM_SUB);
	ck_assert_uint_eq(st.blocks, 3);
	ck_assert_uint_eq(st.naks, 1);
	ck_assert_uint_eq(st.retries, 1);
	ck_assert_uint_eq(st.bytes, sizeof(file));
	ck_assert_int_eq(st.crc, 1);
}
END_TEST

static void cancel_peer(struct fake *f, const unsigned char *p, size_t n)
{
	(void)p;
	(void)n;
	feed(f, "\030\030", 2);
}

START_TEST(test_send_failures)
{
	static struct fake f;
	struct tp_modem_line line = { &fake_ops, &f };
	struct mem_src m = { file, sizeof(file), 0, false };
	struct tp_modem_stats st = { 0 };
	const char *why = NULL;

	/* Nobody there. */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(tp_modem_send(TP_MODEM_YMODEM, &fast, &line, &mem_source, &m, &st, &why),
			 -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(why, "no receiver"));
	ck_assert_uint_eq(f.out[0], TP_MODEM_CAN);   /* and the cancel, in case */
	/* C, then CAN CAN in answer to block 0: cancelled, no cancel sent back. */
	memset(&f, 0, sizeof(f));
	m = (struct mem_src){ file, sizeof(file), 0, false };
	f.peer = cancel_peer;
	feed(&f, "C", 1);
	ck_assert_int_eq(tp_modem_send(TP_MODEM_YMODEM, &fast, &line, &mem_source, &m, &st, &why),
			 -ECANCELED);
	ck_assert_str_eq(why, "the receiver cancelled (CAN CAN)");
	ck_assert_uint_eq(f.out[0], TP_MODEM_SOH);   /* block 0 went out, and nothing after it */
	ck_assert_uint_eq(f.out_len, tp_modem_block_size(TP_MODEM_SOH, true));
}
END_TEST

/* A sender peer (XMODEM, CRC): on C or ACK the next block, or EOT at the end; on NAK the
 * same again. The first copy of block 2 goes out damaged. */
static void sender_peer(struct fake *f, const unsigned char *p, size_t n)
{
	unsigned char block[TP_MODEM_BLOCK_MAX];

	if (n != 1 || f->state == 2)
		return;
	if (p[0] == TP_MODEM_ACK || (p[0] == TP_MODEM_WANT_CRC && f->block == 0)) {
		f->block++;
		f->data_at = (f->block - 1) * TP_MODEM_SMALL;
	} else if (p[0] != TP_MODEM_NAK) {
		return;
	}
	if (f->data_at >= f->data_len) {
		static const unsigned char eot = TP_MODEM_EOT;
		feed(f, &eot, 1);
		if (p[0] == TP_MODEM_ACK && f->state == 1)
			f->state = 2;
		f->state = f->state ? f->state : 1;
		return;
	}
	size_t len = tp_modem_block_encode(block, f->block, f->data + f->data_at, TP_MODEM_SMALL, true);
	if (f->block == 2 && f->naks_to_send) {
		f->naks_to_send--;
		block[50] ^= 1;
	}
	feed(f, block, len);
}

struct mem_sink {
	unsigned char got[8192];
	size_t len;
	int begun, ended_ok, ended_bad;
};

static int sink_begin(void *ctx, const struct tp_modem_file *f)
{
	(void)f;
	((struct mem_sink *)ctx)->begun++;
	return 0;
}

static int sink_write(void *ctx, const void *buf, size_t n)
{
	struct mem_sink *s = ctx;

	memcpy(s->got + s->len, buf, n);
	s->len += n;
	return 0;
}

static int sink_end(void *ctx, bool ok)
{
	struct mem_sink *s = ctx;

	if (ok)
		s->ended_ok++;
	else
		s->ended_bad++;
	return 0;
}

static const struct tp_modem_sink mem_sink_ops = { sink_begin, sink_write, sink_end };

/* A new line and sink for the next receiver case. */
static void fresh(struct fake *f, struct mem_sink *s)
{
	memset(f, 0, sizeof(*f));
	memset(s, 0, sizeof(*s));
}

START_TEST(test_recv_xmodem)
{
	static struct fake f;
	static struct mem_sink s;
	struct tp_modem_line line = { &fake_ops, &f };
	struct tp_modem_stats st = { 0 };
	const char *why = NULL;

	fill_file();
	fresh(&f, &s);
	f.peer = sender_peer;
	f.naks_to_send = 1;
	memcpy(f.data, file, 1000);   /* 8 blocks, the last padded */
	f.data_len = 1000;
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &fast, &line, &mem_sink_ops, &s, 1000,
				       &st, &why), 0);
	ck_assert_uint_eq(s.len, 1000);   /* -s 1000: the padding cut */
	ck_assert_mem_eq(s.got, file, 1000);
	ck_assert_int_eq(s.begun, 1);
	ck_assert_int_eq(s.ended_ok, 1);
	ck_assert_uint_eq(st.bad_blocks, 1);
	ck_assert_uint_eq(st.naks, 1);
	ck_assert_uint_eq(st.blocks, 8);
	ck_assert_int_eq(st.crc, 1);
}
END_TEST

START_TEST(test_recv_failures)
{
	static struct fake f;
	static struct mem_sink s;
	struct tp_modem_line line = { &fake_ops, &f };
	struct tp_modem_stats st = { 0 };
	unsigned char block[TP_MODEM_BLOCK_MAX];
	const char *why = NULL;

	/* No sender: C after C (CRC-16 only, no fall back to sums), then the time is up. */
	fresh(&f, &s);
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &(struct tp_modem_timing){ .start_ms = 60, .block_ms = 10, .char_ms = 10, .nudge_ms = 10, .tries = 10 },
				       &line, &mem_sink_ops, &s, 0, &st, &why), -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(why, "no sender"));
	ck_assert_mem_eq(f.out, "CCCCCC", 6);   /* CRC-16 only: no fall back to sums */
	ck_assert_int_eq(s.begun, 0);
	/* A damaged header byte before data that is all 0x04, and nothing after: no 0x04 of
	 * it is taken for EOT (the block is discarded as damaged), so no file begins. */
	fresh(&f, &s);
	unsigned char data4[TP_MODEM_SMALL];
	memset(data4, TP_MODEM_EOT, sizeof(data4));
	size_t n4 = tp_modem_block_encode(block, 1, data4, TP_MODEM_SMALL, true);
	block[0] = 0x03;
	feed(&f, block, n4);
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &fast, &line, &mem_sink_ops, &s, 0, &st,
				       &why), -ETIMEDOUT);   /* nothing more came: no EOT taken */
	ck_assert_uint_eq(s.len, 0);
	ck_assert_int_eq(s.begun, 0);
	ck_assert_uint_eq(st.bad_blocks, 1);
	/* -s 256 and EOT after one block: short, refused. */
	fresh(&f, &s);
	feed(&f, block, tp_modem_block_encode(block, 1, file, TP_MODEM_SMALL, true));
	feed(&f, "\004", 1);
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &fast, &line, &mem_sink_ops, &s, 256, &st,
				       &why), -EPROTO);
	ck_assert_str_eq(why, "the file ended short of the size it was given");
	ck_assert_int_eq(s.ended_bad, 1);
	/* A sender that goes quiet after block 1, with a cap of 30 ms on silence: three NAKs
	 * into the silence, then the end, block 1 kept back (the file is not whole). */
	fresh(&f, &s);
	feed(&f, block, tp_modem_block_encode(block, 1, file, TP_MODEM_SMALL, true));
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &(struct tp_modem_timing){ .start_ms = 10,
				       .block_ms = 10, .char_ms = 10, .nudge_ms = 10, .tries = 10,
				       .quiet_ms = 30 }, &line, &mem_sink_ops, &s, 0, &st, &why),
			 -ETIMEDOUT);
	ck_assert_str_eq(why, "the sender went quiet");
	ck_assert_mem_eq(f.out, "C\006\025\025", 4);
	ck_assert_int_eq(s.ended_bad, 1);
	/* Block 3 where 1 was due: lost, cancelled, nothing kept. */
	fresh(&f, &s);
	feed(&f, block, tp_modem_block_encode(block, 3, file, TP_MODEM_SMALL, true));
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &fast, &line, &mem_sink_ops, &s, 0, &st,
				       &why), -EPROTO);
	ck_assert_int_eq(s.ended_bad, 1);
	ck_assert_uint_eq(s.len, 0);
	ck_assert(memchr(f.out, TP_MODEM_CAN, f.out_len) != NULL);
	/* YMODEM-g: a damaged block ends it. */
	fresh(&f, &s);
	unsigned char zero[TP_MODEM_SMALL] = "f\0" "10";
	feed(&f, block, tp_modem_block_encode(block, 0, zero, TP_MODEM_SMALL, true));
	size_t n = tp_modem_block_encode(block, 1, file, TP_MODEM_SMALL, true);
	block[9] ^= 4;
	feed(&f, block, n);
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_YMODEM_G, &fast, &line, &mem_sink_ops, &s, 0, &st,
				       &why), -EPROTO);
	ck_assert_ptr_nonnull(strstr(why, "YMODEM-g"));
	ck_assert_uint_eq(s.len, 0);
	ck_assert_int_eq(s.ended_bad, 1);
}
END_TEST

/* Copies and a cancel, fed ahead: block 1 twice (our ACK lost), block 2, EOT; then block
 * 1 and CAN CAN. */
START_TEST(test_recv_copies_and_cancel)
{
	static struct fake f;
	static struct mem_sink s;
	struct tp_modem_line line = { &fake_ops, &f };
	struct tp_modem_stats st = { 0 };
	unsigned char block[TP_MODEM_BLOCK_MAX];
	const char *why = NULL;

	fill_file();
	fresh(&f, &s);
	for (unsigned n = 1; n <= 2; n++) {
		size_t len = tp_modem_block_encode(block, n, file + (n - 1) * TP_MODEM_SMALL,
						   TP_MODEM_SMALL, true);
		feed(&f, block, len);
		if (n == 1)
			feed(&f, block, len);
	}
	feed(&f, "\004", 1);
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &fast, &line, &mem_sink_ops, &s, 0, &st,
				       &why), 0);
	ck_assert_uint_eq(s.len, 2 * TP_MODEM_SMALL);
	ck_assert_mem_eq(s.got, file, 2 * TP_MODEM_SMALL);
	ck_assert_uint_eq(st.duplicates, 1);
	ck_assert_mem_eq(f.out, "C\006\006\006\006", 5);   /* each block, the copy, EOT */

	fresh(&f, &s);
	feed(&f, block, tp_modem_block_encode(block, 1, file, TP_MODEM_SMALL, true));
	feed(&f, "\030\030", 2);
	ck_assert_int_eq(tp_modem_recv(TP_MODEM_XMODEM, &fast, &line, &mem_sink_ops, &s, 0, &st,
				       &why), -ECANCELED);
	ck_assert_str_eq(why, "the sender cancelled (CAN CAN)");
	ck_assert_int_eq(s.ended_bad, 1);
	ck_assert_uint_eq(f.out_len, 2);   /* C and the ACK: no cancel sent back */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("modem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_crc16_check_value);
	tcase_add_test(tc, test_block_round_trip);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_send_xmodem_1k);
	tcase_add_test(tc, test_send_failures);
	tcase_add_test(tc, test_recv_xmodem);
	tcase_add_test(tc, test_recv_failures);
	tcase_add_test(tc, test_recv_copies_and_cancel);
	suite_add_tcase(s, tc);
	return tp_unit_run(s);
}
