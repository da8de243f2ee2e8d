/* The XMODEM and YMODEM receiver (modem_recv.h). */
#include "config.h"
#include "modem_recv.h"

#include <errno.h>
#include <string.h>
#include "modem_send.h"

struct receiver {
	enum tp_modem_protocol proto;
	const struct tp_modem_timing *t;
	const struct tp_modem_line *line;
	const struct tp_modem_sink *sink;
	void *ctx;
	struct tp_modem_stats *st;
	const char *why;
	bool begun;            /* the sink has a file open */
	unsigned silent_ms;    /* the sender's silence so far, in waits that ran out */
	unsigned char block[TP_MODEM_BLOCK_MAX];
};

static int fail(struct receiver *r, int err, const char *why)
{
	r->why = why;
	return err;
}

static int get(struct receiver *r, unsigned ms)
{
	return r->line->ops->get(r->line->ctx, ms);
}

static int say(struct receiver *r, unsigned char c)
{
	return r->line->ops->put(r->line->ctx, &c, 1);
}

static unsigned char request(const struct receiver *r)
{
	return r->proto == TP_MODEM_YMODEM_G ? TP_MODEM_WANT_G
					     : TP_MODEM_WANT_CRC;
}

/* What came: a block (its number in *number, checked), EOT, a damaged block, or nothing. */
enum got { GOT_BLOCK, GOT_EOT, GOT_BAD, GOT_QUIET };

/* Reads what follows header byte h (SOH or STX) and checks it. */
static int read_block(struct receiver *r, int h, unsigned *number, enum got *got)
{
	size_t n = tp_modem_block_size((unsigned char)h, true);

	r->block[0] = (unsigned char)h;
	for (size_t i = 1; i < n; i++) {
		int c = get(r, r->t->char_ms);

		if (c == -ETIMEDOUT) {   /* a block cut short */
			r->st->timeouts++;
			r->st->bad_blocks++;
			*got = GOT_BAD;
			return 0;
		}
		if (c < 0)
			return c;
		r->block[i] = (unsigned char)c;
	}
	*got = tp_modem_block_check(r->block, true, number) == 0 ? GOT_BLOCK : GOT_BAD;
	if (*got == GOT_BAD)
		r->st->bad_blocks++;
	return 0;
}

/* Waits up to ms for what the sender sends next. A byte that starts nothing (a block whose
 * header byte was damaged, noise), an EOT that more bytes follow, or a lone CAN is a
 * damaged block: its rest is discarded, never searched for a header or an EOT, which a
 * block's data may hold. */
static int next(struct receiver *r, unsigned ms, unsigned *number, enum got *got)
{
	int c = get(r, ms);

	if (c == -ETIMEDOUT) {
		r->st->timeouts++;
		*got = GOT_QUIET;
		return 0;
	}
	if (c < 0)
		return c;
	if (c == TP_MODEM_SOH || c == TP_MODEM_STX)
		return read_block(r, c, number, got);
	int after = get(r, c == TP_MODEM_CAN ? r->t->char_ms : r->t->purge_ms / 10);
	if (c == TP_MODEM_CAN && after == TP_MODEM_CAN)
		return fail(r, -ECANCELED, "the sender cancelled (CAN CAN)");
	if (after < 0 && after != -ETIMEDOUT)
		return after;
	if (c == TP_MODEM_EOT && after == -ETIMEDOUT) {
		*got = GOT_EOT;
		return 0;
	}
	r->st->bad_blocks++;
	*got = GOT_BAD;
	return 0;
}

/* After a damaged block or a silence: NAK (the line's remains discarded first), or,
 * streaming, the end. *errors counts them in a row. */
static int again(struct receiver *r, unsigned *errors, bool quiet)
{
	r->silent_ms = quiet ? r->silent_ms + r->t->block_ms : 0;
	if (quiet && r->t->quiet_ms && r->silent_ms >= r->t->quiet_ms)
		return fail(r, -ETIMEDOUT, "the sender went quiet");
	if (r->proto == TP_MODEM_YMODEM_G)
		return fail(r, -EPROTO, quiet ? "the sender went quiet (YMODEM-g cannot ask again)"
					      : "a damaged block (YMODEM-g cannot ask again)");
	if (++*errors >= r->t->tries)
		return quiet ? fail(r, -ETIMEDOUT, "the sender went quiet")
			     : fail(r, -EPROTO, "ten damaged blocks in a row");
	if (!quiet)
		r->line->ops->purge(r->line->ctx, r->t->purge_ms);
	r->st->naks++;
	r->st->retries++;
	return say(r, TP_MODEM_NAK);
}

/* Asks for the first block (block 0, or the data's) every nudge_ms, up to ms in all, and
 * again after anything damaged. Returns with what came first in *number and *got (a block
 * or EOT; under YMODEM-g, a damaged block too). Always CRC-16: falling back to the 8-bit sum after a few Cs, as the reference
 * allows, would fail a sender that starts late and reads a C left on the line. */
static int ask(struct receiver *r, unsigned ms, unsigned *number, enum got *got,
	       const char *what)
{
	for (unsigned waited = 0; waited < ms; waited += r->t->nudge_ms) {
		int err = say(r, request(r));
		if (err)
			return err;
		if ((err = next(r, r->t->nudge_ms, number, got)) != 0)
			return err;
		if (*got == GOT_BAD && r->proto != TP_MODEM_YMODEM_G)
			r->line->ops->purge(r->line->ctx, r->t->purge_ms);
		else if (*got != GOT_QUIET) {   /* (YMODEM-g: a damaged block ends it, in again) */
			r->st->crc = 1;
			return 0;
		}
	}
	return fail(r, -ETIMEDOUT, what);
}

/* Writes a checked block's data, no further than *left bytes when the size is known. */
static int take(struct receiver *r, size_t len, bool sized, uint64_t *left)
{
	size_t n = len;

	if (sized) {
		n = *left < len ? (size_t)*left : len;
		*left -= n;
	}
	r->st->bytes += n;
	r->st->blocks++;
	r->st->small_blocks += len == TP_MODEM_SMALL;
	return n ? r->sink->write(r->ctx, r->block + 3, n) : 0;
}

/* One file's data: blocks from 1 until EOT, the first already read (ask). */
static int file_data(struct receiver *r, unsigned number, enum got got, bool sized,
		     uint64_t size)
{
	unsigned expect = 1, errors = 0;
	uint64_t left = size;
	bool streaming = r->proto == TP_MODEM_YMODEM_G;

	for (;;) {
		int err = 0;

		if (got == GOT_EOT && sized && left)
			return fail(r, -EPROTO, "the file ended short of the size it was given");
		if (got == GOT_EOT)
			return say(r, TP_MODEM_ACK);
		if (got == GOT_QUIET || got == GOT_BAD) {
			err = again(r, &errors, got == GOT_QUIET);
		} else if (number == (expect & 0xff)) {
			errors = 0;
			r->silent_ms = 0;
			err = take(r, r->block[0] == TP_MODEM_STX ? TP_MODEM_LARGE : TP_MODEM_SMALL,
				   sized, &left);
			if (!err && !streaming)
				err = say(r, TP_MODEM_ACK);
			expect++;
		} else if (number == ((expect - 1) & 0xff) && !streaming) {
			/* Our ACK was lost, and the sender sent the block again. Before block 1
			 * that is block 0, which wants the request after its ACK. */
			r->st->duplicates++;
			err = say(r, TP_MODEM_ACK);
			if (!err && expect == 1)
				err = say(r, request(r));
		} else {
			return fail(r, -EPROTO, "a block out of order: the transfer is lost");
		}
		if (err || (err = next(r, r->t->block_ms, &number, &got)) != 0)
			return err;
	}
}

static int begin(struct receiver *r, const struct tp_modem_file *f)
{
	int err = r->sink->begin(r->ctx, f);

	r->begun = !err;
	return err;
}

static int end(struct receiver *r)
{
	r->begun = false;
	int err = r->sink->end(r->ctx, true);
	if (!err)
		r->st->files++;
	return err;
}

static int xmodem(struct receiver *r, uint64_t size)
{
	unsigned number;
	enum got got;
	int err = ask(r, r->t->start_ms, &number, &got, "no sender: nothing came in answer to C or NAK");

	if (err || (err = begin(r, NULL)) != 0 ||
	    (err = file_data(r, number, got, size > 0, size)) != 0)
		return err;
	return end(r);
}

/* Block 0 of the next file, asked for until it comes whole: 0 with *f, 1 for the end of the
 * batch. */
static int header(struct receiver *r, bool first, struct tp_modem_file *f)
{
	unsigned number, errors = 0;
	enum got got;
	int err = ask(r, first ? r->t->start_ms : r->t->block_ms, &number, &got,
		      first ? "no sender: nothing came in answer to C"
			    : "the sender stopped after a file: no block 0 for the next one");

	for (; !err; err = next(r, r->t->block_ms, &number, &got)) {
		if (got == GOT_BLOCK && number == 0)
			break;
		if (got == GOT_EOT) {   /* the last file's EOT again: our ACK was lost */
			err = say(r, TP_MODEM_ACK);
			continue;
		}
		if (got == GOT_BLOCK)
			return fail(r, -EPROTO, "a data block where block 0 was due");
		err = again(r, &errors, got == GOT_QUIET);
	}
	if (err)
		return err;
	size_t len = r->block[0] == TP_MODEM_STX ? TP_MODEM_LARGE : TP_MODEM_SMALL;
	int rc = tp_modem_header_parse(r->block + 3, len, f);
	if (rc == -EPERM)
		return fail(r, rc, "block 0 names a file outside the directory, or a hidden one "
			    "(a '/', a leading '.', or a control character): refused");
	if (rc < 0)
		return fail(r, -EPROTO, "block 0 does not say a file's name and size");
	if ((err = say(r, TP_MODEM_ACK)) != 0)
		return err;
	return rc;
}

static int ymodem(struct receiver *r)
{
	struct tp_modem_file f;

	for (bool first = true;; first = false) {
		unsigned number;
		enum got got;
		int err = header(r, first, &f);

		if (err)
			return err < 0 ? err : 0;
		if ((err = begin(r, &f)) != 0)
			return err;
		err = ask(r, r->t->block_ms, &number, &got,
			  "the sender sent block 0 but no data");
		/* (Block 0 again here means the sender missed our ACK: file_data takes it as
		 * a copy, ACKs it and asks again.) */
		if (err || (err = file_data(r, number, got, f.size_known, f.size)) != 0 ||
		    (err = end(r)) != 0)
			return err;
	}
}

int tp_modem_recv(enum tp_modem_protocol proto, const struct tp_modem_timing *t,
		  const struct tp_modem_line *line, const struct tp_modem_sink *sink, void *ctx,
		  uint64_t size, struct tp_modem_stats *st, const char **why)
{
	struct receiver r = { .proto = proto, .t = t, .line = line, .sink = sink, .ctx = ctx,
			      .st = st };
	int err;

	st->crc = -1;
	err = proto < TP_MODEM_YMODEM ? xmodem(&r, size) : ymodem(&r);
	if (r.begun)
		(void)sink->end(ctx, false);
	if (err && err != -ECANCELED && err != -EPIPE)
		tp_modem_cancel(line);
	*why = r.why;
	return err;
}
