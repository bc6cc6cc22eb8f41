/*
 * report.c - what `sockipc bench` prints when a run ends: a few aligned
 * lines for people, or one JSON object (--json) for scripts such as
 * bench/run.  Rates are over the measured time (the first send to the last
 * echo); latencies come from the merged histogram, whose relative error
 * bound is printed with them so nobody reads more digits than there are.
 */
#include "bench/bench.h"

#include <string.h>

#include "cli/cli.h"

static const char *mode_name(const struct sipc_bench_config *cfg)
{
	sipc_scheme s = sipc_url_scheme(cfg->url);

	if (cfg->one_way)
		return "one-way";
	if (cfg->blocking)
		return "blocking";
	if (sipc_scheme_is_datagram(s))
		return "datagram";
	return cfg->framed ? "framed" : "raw";
}

/* Nanoseconds in the unit that reads best. */
static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%.2f us", (double)ns / 1e3);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
}

void sipc__bench_report(FILE *out, const struct sipc_bench_config *cfg,
			const struct sipc_bench_result *res, bool json)
{
	double t = res->elapsed_s > 0 ? res->elapsed_s : 1e-9;
	double mps = (double)res->echoed / t;
	double mbs = (double)res->bytes / t / 1e6;
	double cps = (double)res->connects / t;
	static const double pct[] = {50, 90, 99, 99.9};
	static const char *const pname[] = {"p50", "p90", "p99", "p99_9"};
	const struct sipc_hist *h = &res->hist;
	bool clean = sipc__bench_clean(res);

	if (json) {
		fprintf(out, "{\"url\": ");
		sipc_cli_json_str(out, cfg->url_text);
		fprintf(out,
			", \"mode\": \"%s\", \"threads\": %ld, \"conns\": %ld, \"depth\": %ld, "
			"\"size\": %zu, \"new_conn\": %s, \"rate\": %.0f, \"count\": %ld, "
			"\"duration_s\": %.3f, \"timeout_ms\": %d,\n",
			mode_name(cfg), cfg->threads, cfg->conns, cfg->depth, cfg->size,
			cfg->new_conn ? "true" : "false", cfg->rate, cfg->count,
			cfg->count ? 0.0 : cfg->duration_ms / 1e3, cfg->timeout_ms);
		fprintf(out,
			" \"elapsed_s\": %.6f, \"sent\": %llu, \"echoed\": %llu, \"mismatched\": "
			"%llu, "
			"\"lost\": %llu, \"late\": %llu, \"unanswered\": %llu, \"errors\": %llu, "
			"\"connects\": %llu, \"connect_errors\": %llu, \"bytes\": %llu,\n",
			res->elapsed_s, (unsigned long long)res->sent,
			(unsigned long long)res->echoed, (unsigned long long)res->mismatched,
			(unsigned long long)res->lost, (unsigned long long)res->late,
			(unsigned long long)res->unanswered, (unsigned long long)res->errors,
			(unsigned long long)res->connects, (unsigned long long)res->connect_errors,
			(unsigned long long)res->bytes);
		fprintf(out, " \"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"conns_per_s\": %.1f,\n",
			mps, mbs, cps);
		fprintf(out, " \"latency_us\": {\"count\": %llu, \"min\": %.3f, \"mean\": %.3f",
			(unsigned long long)h->count, h->count ? (double)h->min / 1e3 : 0.0,
			sipc__hist_mean(h) / 1e3);
		for (size_t i = 0; i < 4; i++)
			fprintf(out, ", \"%s\": %.3f", pname[i],
				(double)sipc__hist_percentile(h, pct[i]) / 1e3);
		fprintf(out, ", \"max\": %.3f, \"relative_error\": %.5f},\n", (double)h->max / 1e3,
			SIPC_HIST_REL_ERROR);
		fprintf(out, " \"first_error\": ");
		sipc_cli_json_str(out, res->first_error);
		fprintf(out, ", \"ok\": %s}\n", clean ? "true" : "false");
		return;
	}

	char b[5][32];
	fprintf(out, "bench %s: %s, %ld thread%s, %ld conn%s, depth %ld, %zu-byte messages",
		cfg->url_text, mode_name(cfg), cfg->threads, cfg->threads == 1 ? "" : "s",
		cfg->conns, cfg->conns == 1 ? "" : "s", cfg->depth, cfg->size);
	if (cfg->new_conn && sipc_scheme_is_tls(sipc_url_scheme(cfg->url)))
		fprintf(out, ", new connection and full TLS handshake per request");
	else if (cfg->new_conn)
		fprintf(out, ", new connection per request");
	if (cfg->rate > 0)
		fprintf(out, ", open loop at %.0f/s", cfg->rate);
	fprintf(out, "\n");
	fprintf(out, "  time        %.3f s\n", res->elapsed_s);
	fprintf(out,
		"  messages    %llu sent, %llu echoed, %llu mismatched, %llu lost, %llu late, "
		"%llu unanswered\n",
		(unsigned long long)res->sent, (unsigned long long)res->echoed,
		(unsigned long long)res->mismatched, (unsigned long long)res->lost,
		(unsigned long long)res->late, (unsigned long long)res->unanswered);
	fprintf(out, "  errors      %llu", (unsigned long long)res->errors);
	if (res->connect_errors)
		fprintf(out, ", %llu failed connects", (unsigned long long)res->connect_errors);
	if (res->first_error[0])
		fprintf(out, " (first: %s)", res->first_error);
	fprintf(out, "\n");
	fprintf(out, "  rate        %.0f msg/s, %.2f MB/s each way", mps, mbs);
	if (cfg->new_conn)
		fprintf(out, ", %.0f conn/s", cps);
	fprintf(out, "\n");
	for (size_t i = 0; i < 4; i++)
		fmt_ns(b[i], sizeof b[i], sipc__hist_percentile(h, pct[i]));
	fmt_ns(b[4], sizeof b[4], h->max);
	fprintf(out, "  latency     p50 %s, p90 %s, p99 %s, p99.9 %s, max %s (+-%.1f%%)\n", b[0],
		b[1], b[2], b[3], b[4], 100.0 * SIPC_HIST_REL_ERROR);
	fprintf(out, "  verdict     %s\n",
		clean ? "ok: every echo came back whole and equal"
		      : "FAILED: not every message came back whole and equal");
}
