/* The XMODEM and YMODEM sender (modem_send.h). */
#include "config.h"
#include "modem_send.h"

#include <errno.h>
#include <string.h>

struct sender {
	enum tp_modem_protocol proto;
	const struct tp_modem_timing *t;
	const struct tp_modem_line *line;
	struct tp_modem_stats *st;
	const char *why;
	bool crc;
	bool stream;           /* YMODEM-g: the receiver asked for G */
	unsigned silent_ms;    /* the receiver's silence so far, in waits that ran out */
};

static int get(struct sender *s, unsigned ms)
{
	return s->line->ops->get(s->line->ctx, ms);
}

static int put(struct sender *s, const void *buf, size_t n)
{
	return s->line->ops->put(s->line->ctx, buf, n);
}

void tp_modem_cancel(const struct tp_modem_line *line)
{
	static const unsigned char cancel[] = { TP_MODEM_CAN, TP_MODEM_CAN, TP_MODEM_CAN,
		TP_MODEM_CAN, TP_MODEM_CAN, 8, 8, 8, 8, 8 };

	(void)line->ops->put(line->ctx, cancel, sizeof(cancel));
}

static int fail(struct sender *s, int err, const char *why)
{
	s->why = why;
	return err;
}

/* A wait for an answer ran out: true when the receiver has now been silent too long. */
static bool too_quiet(struct sender *s)
{
	s->st->timeouts++;
	s->silent_ms += s->t->block_ms;
	return s->t->quiet_ms && s->silent_ms >= s->t->quiet_ms;
}

/* After one CAN: a second within a second is the cancel; anything else is line noise. */
static bool second_can(struct sender *s)
{
	return get(s, s->t->char_ms) == TP_MODEM_CAN;
}

/* What a byte that is not the one waited for costs of the wait, in ms: the line has no
 * clock here, and a line that babbles must still run out of time (a bootloader's banner
 * of a few hundred bytes must not). */
#define JUNK_MS 100u

/* The receiver's answer to a block or EOT within ms: ACK or NAK; -ETIMEDOUT; -ECANCELED
 * (CAN CAN, said); or the line's error. Anything else is skipped (a C asking again for a
 * first block that is on its way, noise). */
static int answer(struct sender *s, unsigned ms)
{
	for (unsigned left = ms;;) {
		int c = get(s, left);

		if (c < 0 || c == TP_MODEM_ACK || c == TP_MODEM_NAK)
			return c;
		if (c == TP_MODEM_CAN && second_can(s))
			return fail(s, -ECANCELED, "the receiver cancelled (CAN CAN)");
		if (left <= JUNK_MS)
			return -ETIMEDOUT;
		left -= JUNK_MS;
	}
}

/* Waits up to ms for the receiver's request to begin: C (CRC-16), G (stream: only YMODEM
 * honours it), or NAK (the sum: XMODEM only). Requests queued behind it (a receiver asks
 * every few seconds) are discarded, so that none is taken for an answer to a block. */
static int wait_request(struct sender *s, unsigned ms, const char *what)
{
	for (unsigned waited = 0;;) {
		int c = get(s, ms - waited);

		if (c == -ETIMEDOUT)
			return s->st->timeouts++, fail(s, c, what);
		if (c < 0)
			return c;
		if (c == TP_MODEM_CAN && second_can(s))
			return fail(s, -ECANCELED, "the receiver cancelled (CAN CAN)");
		bool ymodem = s->proto >= TP_MODEM_YMODEM;
		if (c == TP_MODEM_WANT_CRC || (c == TP_MODEM_WANT_G && ymodem) ||
		    (c == TP_MODEM_NAK && !ymodem)) {
			s->crc = c != TP_MODEM_NAK;
			s->stream = c == TP_MODEM_WANT_G;
			s->st->crc = s->crc;
			s->line->ops->purge(s->line->ctx, 0);
			return 0;
		}
		/* Anything else (an ACK left over, noise, a banner) is skipped. */
		waited += JUNK_MS;
		if (waited >= ms)
			return s->st->timeouts++, fail(s, -ETIMEDOUT, what);
	}
}

/* Sends one block until the receiver takes it (or once, streaming). A C is no NAK here:
 * a receiver's next request crossing block 1 on the line would make it one, the block
 * would go twice, and every ACK after would be taken for the block after its own. */
static int send_block(struct sender *s, unsigned number, const unsigned char *data,
		      size_t len)
{
	unsigned char block[TP_MODEM_BLOCK_MAX];
	size_t n = tp_modem_block_encode(block, number, data, len, s->crc);

	for (unsigned tries = 0; tries < s->t->tries; tries++) {
		int c, err = put(s, block, n);

		if (err)
			return err;
		if (tries)
			s->st->retries++;
		if (s->stream)
			return 0;
		if ((c = answer(s, s->t->block_ms)) == -ECANCELED)
			return c;
		if (c >= 0)
			s->silent_ms = 0;
		if (c == TP_MODEM_ACK)
			return 0;
		if (c == -ETIMEDOUT && too_quiet(s))
			return fail(s, c, "the receiver stopped answering");
		if (c < 0 && c != -ETIMEDOUT)
			return c;
		if (c >= 0)
			s->st->naks++;
	}
	return fail(s, -EPROTO, "the receiver refused a block ten times");
}

/* EOT until it is acknowledged (a receiver may NAK the first, to be sure). */
static int send_eot(struct sender *s)
{
	static const unsigned char eot = TP_MODEM_EOT;

	for (unsigned tries = 0; tries < s->t->tries; tries++) {
		int c, err = put(s, &eot, 1);

		if (err)
			return err;
		if ((c = answer(s, s->t->block_ms)) == -ECANCELED)
			return c;
		if (c == TP_MODEM_ACK)
			return 0;
		/* (lrzsz's rx flushes its output as it exits, and on a pseudo-terminal the ACK
		 * can go with it.) */
		if (c == -EPIPE)
			return fail(s, c, "the line hung up before the receiver acknowledged the end "
				    "of the file (every block before it was acknowledged)");
		if (c >= 0)
			s->silent_ms = 0;
		if (c == -ETIMEDOUT && too_quiet(s))
			break;
		if (c < 0 && c != -ETIMEDOUT)
			return c;
	}
	return fail(s, -ETIMEDOUT, "the receiver did not acknowledge the end of the file (every "
		    "block before it was acknowledged)");
}

/* Reads up to n bytes, short only at the end of the file. */
static ssize_t read_full(const struct tp_modem_source *src, void *ctx, unsigned char *buf,
			 size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = src->read(ctx, buf + got, n - got);

		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The file's data, from block 1 on, then EOT. 1 KiB blocks where the protocol and the
 * check allow them, and for a tail of more than 768 bytes; 128-byte blocks otherwise (a
 * short tail costs less padding so). */
static int send_data(struct sender *s, const struct tp_modem_source *src, void *ctx)
{
	unsigned char buf[TP_MODEM_LARGE];
	bool large = s->proto != TP_MODEM_XMODEM && s->crc;
	unsigned number = 1;

	for (;;) {
		ssize_t n = read_full(src, ctx, buf, large ? TP_MODEM_LARGE : TP_MODEM_SMALL);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		size_t len = (size_t)n, at = 0;
		while (at < len) {
			size_t size = large && len - at > 6 * TP_MODEM_SMALL ? TP_MODEM_LARGE
									   : TP_MODEM_SMALL;
			size_t take = len - at < size ? len - at : size;
			unsigned char block[TP_MODEM_LARGE];

			memcpy(block, buf + at, take);
			memset(block + take, TP_MODEM_SUB, size - take);
			int err = send_block(s, number++, block, size);
			if (err)
				return err;
			at += take;
			s->st->bytes += take;
			s->st->blocks++;
			s->st->small_blocks += size == TP_MODEM_SMALL;
		}
		if (len < (large ? TP_MODEM_LARGE : TP_MODEM_SMALL))
			break;
	}
	return send_eot(s);
}

/* Block 0, naming f, until it is taken. */
static int send_header(struct sender *s, const struct tp_modem_file *f)
{
	unsigned char data[TP_MODEM_LARGE];
	int len = tp_modem_header_encode(data, f);

	if (len < 0)
		return fail(s, len, "the file name does not fit in YMODEM's block 0");
	return send_block(s, 0, data, (size_t)len);
}

/* The empty block 0 that ends a batch. Every file's EOT was acknowledged already, so a
 * receiver that goes away without an ACK to this block lost nothing: lrzsz's rb flushes
 * its output as it exits, and on a pseudo-terminal its last ACK can go with it. So the ACK
 * is waited for briefly, and only a NAK (the block damaged on the way) sends it again. */
static int send_last(struct sender *s)
{
	unsigned char data[TP_MODEM_SMALL] = { 0 }, block[TP_MODEM_BLOCK_MAX];
	size_t n = tp_modem_block_encode(block, 0, data, sizeof(data), s->crc);

	for (unsigned tries = 0; tries < s->t->tries; tries++) {
		int c, err = put(s, block, n);

		if (err || s->stream)
			return err;
		if ((c = answer(s, s->t->char_ms)) != TP_MODEM_NAK)
			return c == -EINTR || c == -ECANCELED ? c : 0;
		s->st->naks++;
		s->st->retries++;
	}
	return fail(s, -EPROTO, "the receiver refused the end of the batch ten times");
}

static int run(struct sender *s, const struct tp_modem_source *src, void *ctx)
{
	struct tp_modem_file f;
	const char *no_start = "no receiver: nothing asked for the transfer to start (C, G or NAK)";
	int err, more;

	if (s->proto < TP_MODEM_YMODEM) {
		if ((more = src->next_file(ctx, &f)) < 0)
			return more;
		if ((err = wait_request(s, s->t->start_ms, no_start)) != 0)
			return err;
		if ((err = send_data(s, src, ctx)) == 0)
			s->st->files++;
		return err;
	}
	for (bool first = true;; first = false) {
		if ((more = src->next_file(ctx, &f)) < 0)
			return more;
		err = wait_request(s, first ? s->t->start_ms : s->t->block_ms,
				   first ? no_start : "the receiver did not ask for the next file");
		if (err)
			return err;
		if (!more)
			return send_last(s);
		if ((err = send_header(s, &f)) != 0)
			return err;
		err = wait_request(s, s->t->block_ms,
				   "the receiver took block 0 but did not ask for the data");
		if (err || (err = send_data(s, src, ctx)) != 0)
			return err;
		s->st->files++;
	}
}

int tp_modem_send(enum tp_modem_protocol proto, const struct tp_modem_timing *t,
		  const struct tp_modem_line *line, const struct tp_modem_source *src, void *ctx,
		  struct tp_modem_stats *st, const char **why)
{
	struct sender s = { .proto = proto, .t = t, .line = line, .st = st };
	int err;

	st->crc = -1;
	err = run(&s, src, ctx);
	if (err && err != -ECANCELED && err != -EPIPE)
		tp_modem_cancel(line);
	*why = s.why;
	return err;
}
