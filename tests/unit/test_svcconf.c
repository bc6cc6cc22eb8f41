/*
 * test_svcconf.c - the per-service configuration of `sockipc serve`:
 * blocks read from a file (listen, run, disable, every attribute), the
 * defaults block and the flags filling what a block leaves unset, one
 * service line per `listen` URL sharing one conf, errors that name
 * FILE:LINE and the attribute, hostile text refused, and the printed
 * effective configuration reading back to the same thing.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/config.h"
#include "serve/svcconf.h"

static char path[512];

static void write_file(const char *text)
{
	FILE *f;

	sipc_test_path(path, sizeof(path), sipc_test_dir, "serve.conf");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Reads TEXT as a -f file into CFG and finishes it: 0, or -1 with WHY. */
static int load(struct sipc_serve_config *cfg, const char *text, char *why, size_t len)
{
	write_file(text);
	sipc__serve_config_init(cfg);
	if (sipc__serve_config_add_file(cfg, path, why, len) < 0)
		return -1;
	return sipc__serve_config_finish(cfg, why, len);
}

static void fails(const char *text, int line, const char *want)
{
	struct sipc_serve_config cfg;
	char why[512] = "", at[600];

	assert_int_equal(load(&cfg, text, why, sizeof(why)), -1);
	snprintf(at, sizeof(at), "%s:%d: ", path, line);
	if (strncmp(why, at, strlen(at)) != 0 || strstr(why, want) == NULL)
		fail_msg("'%s' does not begin with '%s' and say '%s'", why, at, want);
	sipc__serve_config_free(&cfg);
}

static void test_block_lines(void **state)
{
	struct sipc_serve_config cfg;
	char why[512] = "";

	(void)state;
	assert_int_equal(load(&cfg,
			      "# a comment\n"
			      "tcp://127.0.0.1:0 discard\n"
			      "service echo\n"
			      "{\n"
			      "    listen = tcp://127.0.0.1:0 udp://127.0.0.1:0  # two\n"
			      "    listen += unix://@t/echo\n"
			      "    per_source = 4\n"
			      "}\n"
			      "service cat {\n"
			      "    run = exec --max-children=2 /bin/cat 'a b'\n"
			      "    listen = tcp://127.0.0.1:0\n"
			      "}\n"
			      "service off\n"
			      "{\n"
			      "    listen = tcp://127.0.0.1:1\n"
			      "    disable = yes\n"
			      "}\n",
			      why, sizeof(why)),
			 0);
	/* discard, echo x3, cat; nothing of the disabled block. */
	assert_int_equal(cfg.nlines, 5);
	assert_string_equal(cfg.lines[0].argv[1], "discard");
	assert_ptr_equal(cfg.lines[0].conf, cfg.base);
	assert_string_equal(cfg.lines[1].argv[0], "tcp://127.0.0.1:0");
	assert_string_equal(cfg.lines[2].argv[0], "udp://127.0.0.1:0");
	assert_string_equal(cfg.lines[3].argv[0], "unix://@t/echo");
	for (int i = 1; i <= 3; i++) {
		assert_string_equal(cfg.lines[i].argv[1], "echo");
		assert_int_equal(cfg.lines[i].argc, 2);
		assert_ptr_equal(cfg.lines[i].conf, cfg.lines[1].conf);
	}
	assert_string_equal(cfg.lines[1].conf->name, "echo");
	assert_int_equal(cfg.lines[1].conf->per_source, 4);
	assert_int_equal(cfg.lines[4].argc, 5);
	assert_string_equal(cfg.lines[4].argv[1], "exec");
	assert_string_equal(cfg.lines[4].argv[4], "a b");
	/* An error in a block's run names the line of `run`. */
	assert_non_null(strstr(cfg.lines[4].origin, ":10"));
	/* Unset limits are unlimited; the flags' values fill the rest. */
	assert_int_equal(cfg.lines[4].conf->instances, SIPC_SVC_UNLIMITED);
	assert_int_equal(cfg.lines[4].conf->max_msg, SIPC_SERVE_MAX_MSG_DEFAULT);
	assert_int_equal(cfg.lines[4].conf->per_source_prefix6, 64);
	sipc__serve_config_free(&cfg);
}

static void test_defaults_and_flags(void **state)
{
	struct sipc_serve_config cfg;
	char why[512] = "";
	char *v[] = {"7"};

	(void)state;
	write_file("defaults\n"
		   "{\n"
		   "    instances = 50\n"
		   "    only_from = 127.0.0.0/8\n"
		   "    log_on_failure = HOST\n"
		   "}\n"
		   "tcp://127.0.0.1:0 echo\n"
		   "service a\n"
		   "{\n"
		   "    listen = tcp://127.0.0.1:0\n"
		   "    run = echo\n"
		   "    only_from += ::1\n"
		   "    instances = 3\n"
		   "}\n");
	sipc__serve_config_init(&cfg);
	/* A flag: the default below the defaults block. */
	assert_int_equal(sipc__svc_conf_set(cfg.base, "per_source", v, 1, false, why, sizeof(why)),
			 0);
	cfg.idle_ms = 1500;
	assert_int_equal(sipc__serve_config_add_file(&cfg, path, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_config_finish(&cfg, why, sizeof(why)), 0);
	assert_int_equal(cfg.nlines, 2);
	/* The plain line takes the defaults block, which takes the flags. */
	const struct sipc_svc_conf *plain = cfg.lines[0].conf, *a = cfg.lines[1].conf;
	assert_ptr_equal(plain, cfg.defaults);
	assert_int_equal(plain->instances, 50);
	assert_int_equal(plain->per_source, 7);
	assert_int_equal(plain->idle_ms, 1500);
	assert_int_equal(plain->log_on_failure, SIPC_LOGF_HOST);
	assert_int_equal(plain->only_from.n, 1);
	/* The block: its own value, += on the defaults' list, flags below. */
	assert_int_equal(a->instances, 3);
	assert_int_equal(a->per_source, 7);
	assert_int_equal(a->only_from.n, 2);
	assert_int_equal(a->log_on_failure, SIPC_LOGF_HOST);
	assert_int_equal(a->log_on_success, SIPC_LOGF_SUCCESS_DEFAULT);
	sipc__serve_config_free(&cfg);
}

static void test_attributes(void **state)
{
	struct sipc_serve_config cfg;
	char why[512] = "";

	(void)state;
	assert_int_equal(load(&cfg,
			      "service x\n"
			      "{\n"
			      "  listen=tcp://127.0.0.1:0\n"
			      "  run = echo\n"
			      "  cps = 20 5\n"
			      "  no_access = 10.0.0.0/8 uid:0 gid:0\n"
			      "  access_times = 08:00-17:00 22:30-02:00\n"
			      "  user = root\n"
			      "  groups = yes\n"
			      "  nice = -5\n"
			      "  umask = 027\n"
			      "  env = A=1 \"B=two words\"\n"
			      "  passenv = PATH HOME\n"
			      "  banner = /etc/motd\n"
			      "  rlimit_as = 64M\n"
			      "  rlimit_cpu = UNLIMITED\n"
			      "  rlimit_files = 128\n"
			      "  log_on_success = PID EXIT\n"
			      "  log_on_success += TRAFFIC\n"
			      "  idle_timeout = 2.5\n"
			      "  max_msg = 1K\n"
			      "}\n",
			      why, sizeof(why)),
			 0);
	const struct sipc_svc_conf *c = cfg.lines[0].conf;
	assert_int_equal(c->cps, 20);
	assert_int_equal(c->cps_pause_ms, 5000);
	assert_int_equal(c->no_access.n, 1);
	assert_int_equal(c->no_access.nuids, 1);
	assert_int_equal(c->no_access.ngids, 1);
	assert_int_equal(c->ntimes, 2);
	assert_int_equal(c->times[1].from, 22 * 60 + 30);
	assert_int_equal(c->times[1].to, 120);
	assert_string_equal(c->user, "root");
	assert_int_equal(c->uid, 0);
	assert_int_equal(c->gid, 0);
	assert_true(c->groups);
	assert_int_equal(c->nice, -5);
	assert_int_equal(c->umask, 027);
	assert_int_equal(c->nenv, 2);
	assert_string_equal(c->env[1], "B=two words");
	assert_null(c->env[2]);
	assert_int_equal(c->npassenv, 2);
	assert_string_equal(c->banner, "/etc/motd");
	assert_int_equal(c->rlimit_as, 64 * 1024 * 1024);
	assert_int_equal(c->rlimit_cpu, SIPC_SVC_UNLIMITED);
	assert_int_equal(c->rlimit_files, 128);
	assert_int_equal(c->log_on_success, SIPC_LOGF_PID | SIPC_LOGF_EXIT | SIPC_LOGF_TRAFFIC);
	assert_int_equal(c->idle_ms, 2500);
	assert_int_equal(c->max_msg, 1024);
	/* Windows, one wrapping past midnight. */
	assert_true(sipc__svc_conf_time_allows(c, 8 * 60));
	assert_false(sipc__svc_conf_time_allows(c, 17 * 60));
	assert_true(sipc__svc_conf_time_allows(c, 23 * 60));
	assert_true(sipc__svc_conf_time_allows(c, 60));
	assert_false(sipc__svc_conf_time_allows(c, 2 * 60));
	sipc__serve_config_free(&cfg);
}

static void test_errors(void **state)
{
	(void)state;
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n instances = many\n}\n", 4,
	      "attribute 'instances': 'many' is not a whole number");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n colour = red\n}\n", 4,
	      "attribute 'colour': unknown attribute");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n user = no-such-user-x\n}\n", 4,
	      "no user 'no-such-user-x'");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n instances += 3\n}\n", 4,
	      "+= applies to lists only");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n only_from -= ::1\n}\n", 4,
	      "-= is not supported");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n access_times = 25:00-26:00\n}\n", 4,
	      "not a range HH:MM-HH:MM");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n env = 1A=x\n}\n", 4, "not NAME=VALUE");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n env = 'A=x\ty'\n}\n", 4,
	      "not NAME=VALUE");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n log_on_success = USERID\n}\n", 4,
	      "USERID (an ident lookup) is not supported");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n nice = 20\n}\n", 4, "-20..19");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n umask = 999\n}\n", 4,
	      "not an octal mode");
	fails("service a\n{\n listen =\n}\n", 3, "a value is missing");
	fails("service a\n{\n run = echo\n}\n", 1, "service 'a' has no 'listen = URL'");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n", 1, "is not closed with '}'");
	fails("service a\nlisten = x\n", 2, "expected '{' to open the block");
	fails("service a/b\n{\n}\n", 1, "letters, digits");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n}\nservice a\n{\n}\n", 5,
	      "already defined at");
	fails("defaults\n{\n}\ndefaults\n{\n}\n", 4, "a second defaults block");
	fails("defaults\n{\n listen = tcp://127.0.0.1:0\n}\n", 3,
	      "belongs in a service block, not defaults");
	fails("}\n", 1, "'}' without a block");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n group = root\n}\n", 1,
	      "service a: 'group = root' needs a 'user'");
	fails("service a\n{\n listen = tcp://127.0.0.1:0\n} x\n", 4, "nothing may follow '}'");
	fails("service a\n{\n 'quoted' = 1\n}\n", 3, "expected 'attribute = value'");
	fails("service a\n{\n listen = 'open\n}\n", 3, "quote is not closed");
}

/* --check's output is a file that reads back to the same configuration. */
static void test_print_reads_back(void **state)
{
	struct sipc_serve_config cfg, again;
	char why[512] = "", *one = NULL, *two = NULL;
	size_t n1 = 0, n2 = 0;
	FILE *f;

	(void)state;
	assert_int_equal(load(&cfg,
			      "defaults\n{\n per_source = 3\n}\n"
			      "tcp://127.0.0.1:0 echo\n"
			      "udp://127.0.0.1:0 echo\n"
			      "service s\n{\n listen = tcp://127.0.0.1:0 unix://@t/s\n"
			      " run = exec /bin/sh -c 'echo \"it'\\''s\"'\n"
			      " env = 'A=b c'\n access_times = 01:00-02:00\n"
			      " only_from = 127.0.0.1 uid:0\n}\n"
			      "service gone\n{\n disable = yes\n}\n",
			      why, sizeof(why)),
			 0);
	f = open_memstream(&one, &n1);
	sipc__serve_config_print(&cfg, f);
	fclose(f);
	/* Two plain echo lines get two names. */
	assert_non_null(strstr(one, "service echo-1\n"));
	assert_non_null(strstr(one, "service echo-2\n"));
	assert_non_null(strstr(one, "listen             = tcp://127.0.0.1:0 unix://@t/s\n"));
	assert_non_null(strstr(one, "disable            = yes"));
	write_file(one);
	sipc__serve_config_init(&again);
	assert_int_equal(sipc__serve_config_add_file(&again, path, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_config_finish(&again, why, sizeof(why)), 0);
	f = open_memstream(&two, &n2);
	sipc__serve_config_print(&again, f);
	fclose(f);
	/* Only the origin comments differ. */
	assert_int_equal(again.nlines, cfg.nlines);
	for (size_t i = 0; i < cfg.nlines; i++) {
		assert_int_equal(again.lines[i].argc, cfg.lines[i].argc);
		for (int k = 0; k < cfg.lines[i].argc; k++)
			assert_string_equal(again.lines[i].argv[k], cfg.lines[i].argv[k]);
		assert_int_equal(again.lines[i].conf->per_source, cfg.lines[i].conf->per_source);
		assert_int_equal(again.lines[i].conf->nenv, cfg.lines[i].conf->nenv);
		assert_int_equal(again.lines[i].conf->only_from.nuids,
				 cfg.lines[i].conf->only_from.nuids);
	}
	free(one);
	free(two);
	sipc__serve_config_free(&cfg);
	sipc__serve_config_free(&again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_lines),      cmocka_unit_test(test_defaults_and_flags),
		cmocka_unit_test(test_attributes),       cmocka_unit_test(test_errors),
		cmocka_unit_test(test_print_reads_back),
	};
	return cmocka_run_group_tests(tests, sipc_test_dir_setup, sipc_test_dir_teardown);
}
