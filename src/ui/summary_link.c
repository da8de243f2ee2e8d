/* The statistics of links: datagrams sent (udp://), copies (--repeat), the kernel's drops on
 * a udp:// input, and everything the receiver (-D) verified, refused and lost. */
#include "config.h"
#include "summary.h"

#include <inttypes.h>
#include "fec_tx.h"
#include "seal.h"

void tp_summary_print_link_text(FILE *out, const struct tp_summary *s)
{
	const struct tp_rx_stats *rx = s->rx;

	if (s->udp_out) {
		tp_summary_prefix(out, s);
		fprintf(out, "udp: %" PRIu64 " datagrams sent, %" PRIu64 " retries after ENOBUFS, %"
			PRIu64 " refused (nobody listening)\n", s->datagrams, s->send_retries, s->refused);
	}
	if (s->repeat) {
		tp_summary_prefix(out, s);
		fprintf(out, "repeat: every frame sent %u more time%s (%" PRIu64 " chunk copies)\n",
			s->repeat, s->repeat == 1 ? "" : "s", s->copies);
	}
	if (s->fec_k) {
		tp_summary_prefix(out, s);
		fprintf(out, "fec: %u+%u, depth %u: %" PRIu64 " parity frame%s sent (+%.1f %% "
			"bandwidth)\n", s->fec_k, s->fec_m, s->fec_depth, s->parity_frames,
			s->parity_frames == 1 ? "" : "s",
			100.0 * tp_fec_cost(s->fec_k, s->fec_m, s->frame_size));
	}
	if (s->udp_in) {
		tp_summary_prefix(out, s);
		fprintf(out, "udp: the kernel dropped %" PRIu64 " datagram%s for want of buffer\n",
			s->kernel_drops, s->kernel_drops == 1 ? "" : "s");
		if (s->foreign_datagrams) {
			tp_summary_prefix(out, s);
			fprintf(out, "udp: %" PRIu64 " datagram%s from senders other than --peer, "
				"dropped\n", s->foreign_datagrams, s->foreign_datagrams == 1 ? "" : "s");
		}
	}
	if (!rx)
		return;
	uint64_t corrupt = tp_rx_corrupt_total(rx);
	tp_summary_prefix(out, s);
	fprintf(out, "frames: %" PRIu64 " verified, %" PRIu64 " corrupt", rx->frames, corrupt);
	for (int i = 1; i < TP_FRAME_NERRORS; i++)
		if (rx->corrupt[i])
			fprintf(out, " (%s %" PRIu64 ")", tp_frame_error_name((enum tp_frame_error)i),
				rx->corrupt[i]);
	uint64_t conflicting = tp_rx_conflict_total(rx);
	fprintf(out, ", %" PRIu64 " contradicting", conflicting);
	for (int i = 0; i < TP_CONFLICT_N; i++)
		if (rx->conflicts[i])
			fprintf(out, " (%s %" PRIu64 ")", tp_track_conflict_name((enum tp_track_conflict)i),
				rx->conflicts[i]);
	fprintf(out, ", %" PRIu64 " duplicates, %" PRIu64 " reordered, %" PRIu64
		" garbage bytes between frames\n", rx->duplicates, rx->reordered, rx->garbage_bytes);
	tp_summary_prefix(out, s);
	fprintf(out, "lost: %" PRIu64 " frames, %" PRIu64 " bytes in %" PRIu64 " gap%s", rx->lost_frames,
		rx->lost_bytes, rx->gaps, rx->gaps == 1 ? "" : "s");
	if (rx->zero_bytes)
		fprintf(out, " (%" PRIu64 " zero bytes written in their place)", rx->zero_bytes);
	fprintf(out, "; %" PRIu64 " sender restart%s, %" PRIu64 " stale frames, %" PRIu64
		" after the end\n", rx->restarts, rx->restarts == 1 ? "" : "s", rx->stale, rx->after_end);
	if (rx->sealed || rx->sealed_no_key) {
		tp_summary_prefix(out, s);
		if (rx->sealed)
			fprintf(out, "sealed: %s; %" PRIu64 " frame%s not authentic, dropped; %" PRIu64
				" of a run that began before the current one (replayed), ignored\n",
				rx->opened_aes && rx->opened_xchacha ? "AES-256-GCM and XChaCha20-Poly1305"
				: rx->opened_aes ? "AES-256-GCM" : rx->opened_xchacha
				? "XChaCha20-Poly1305" : "no frame opened", rx->not_authentic,
				rx->not_authentic == 1 ? "" : "s", rx->replayed);
		else
			fprintf(out, "sealed: %" PRIu64 " sealed frame%s and no --key-file to open them\n",
				rx->sealed_no_key, rx->sealed_no_key == 1 ? "" : "s");
	}
	tp_summary_prefix(out, s);
	fprintf(out, "sessions: frames of another session: %" PRIu64 ", ignored; %" PRIu64
		" stray frame%s of one that never began, given up\n", rx->other_session, rx->stray,
		rx->stray == 1 ? "" : "s");
	if (rx->fec_k) {
		tp_summary_prefix(out, s);
		fprintf(out, "fec: %u+%u, depth %u: %" PRIu64 " parity frames, %" PRIu64 " groups, %"
			PRIu64 " frames repaired, %" PRIu64 " groups not repaired (lacking up to %" PRIu64
			" frames), %" PRIu64 " bad rebuilds, %" PRIu64 " of another code\n", rx->fec_k,
			rx->fec_m, rx->fec_depth, rx->fec_parity, rx->fec_groups, rx->fec_repaired,
			rx->fec_unrepaired, rx->fec_lacked_max, rx->fec_bad, rx->fec_foreign);
	}
	tp_summary_prefix(out, s);
	fprintf(out, "stream: %s\n", !rx->end_seen ? "no END frame seen: completeness unknown"
				    : rx->digest_ok ? "END seen, whole-stream digest verified"
				    : "END seen, digest not verified (data missing or different)");
}

void tp_summary_print_link_json(FILE *out, const struct tp_summary *s)
{
	const struct tp_rx_stats *rx = s->rx;

	if (s->udp_out)
		fprintf(out, ",\"datagrams_sent\":%" PRIu64 ",\"send_retries\":%" PRIu64
			",\"refused\":%" PRIu64, s->datagrams, s->send_retries, s->refused);
	if (s->repeat)
		fprintf(out, ",\"repeat\":%u,\"chunk_copies\":%" PRIu64, s->repeat, s->copies);
	if (s->fec_k)
		fprintf(out, ",\"fec_k\":%u,\"fec_m\":%u,\"fec_depth\":%u,\"parity_frames\":%" PRIu64,
			s->fec_k, s->fec_m, s->fec_depth, s->parity_frames);
	if (s->udp_in)
		fprintf(out, ",\"kernel_drops\":%" PRIu64 ",\"foreign_datagrams\":%" PRIu64,
			s->kernel_drops, s->foreign_datagrams);
	if (!rx)
		return;
	fprintf(out, ",\"rx\":{\"frames\":%" PRIu64 ",\"corrupt\":{", rx->frames);
	for (int i = 1; i < TP_FRAME_NERRORS; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i > 1 ? "," : "",
			tp_frame_error_name((enum tp_frame_error)i), rx->corrupt[i]);
	fputs("},\"conflicting\":{", out);
	for (int i = 0; i < TP_CONFLICT_N; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
			tp_track_conflict_name((enum tp_track_conflict)i), rx->conflicts[i]);
	fprintf(out, "},\"garbage_bytes\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"reordered\":%" PRIu64
		",\"lost_frames\":%" PRIu64 ",\"lost_bytes\":%" PRIu64 ",\"gaps\":%" PRIu64
		",\"zero_bytes\":%" PRIu64 ",\"restarts\":%" PRIu64 ",\"stale\":%" PRIu64
		",\"after_end\":%" PRIu64 ",\"other_session\":%" PRIu64 ",\"stray\":%" PRIu64
		",\"sealed\":%s,\"not_authentic\":%" PRIu64 ",\"replayed\":%" PRIu64
		",\"sealed_no_key\":%" PRIu64
		",\"verified_bytes\":%" PRIu64 ",\"end_seen\":%s,\"digest_ok\":%s",
		rx->garbage_bytes, rx->duplicates, rx->reordered, rx->lost_frames, rx->lost_bytes,
		rx->gaps, rx->zero_bytes, rx->restarts, rx->stale, rx->after_end, rx->other_session,
		rx->stray, rx->sealed ? "true" : "false", rx->not_authentic, rx->replayed, rx->sealed_no_key,
		rx->bytes_out,
		rx->end_seen ? "true" : "false", rx->digest_ok ? "true" : "false");
	fprintf(out, ",\"fec_k\":%u,\"fec_m\":%u,\"fec_depth\":%u,\"fec_parity\":%" PRIu64
		",\"fec_groups\":%" PRIu64 ",\"fec_repaired\":%" PRIu64 ",\"fec_unrepaired\":%" PRIu64
		",\"fec_lacked_max\":%" PRIu64 ",\"fec_bad\":%" PRIu64 ",\"fec_foreign\":%" PRIu64 "}",
		rx->fec_k, rx->fec_m, rx->fec_depth, rx->fec_parity, rx->fec_groups, rx->fec_repaired,
		rx->fec_unrepaired, rx->fec_lacked_max, rx->fec_bad, rx->fec_foreign);
}
