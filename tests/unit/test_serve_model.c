/*
 * test_serve_model.c - the table of concurrency models of `sockipc serve`
 * (serve/model.h): each model is found by its --model name and by the bit
 * services declare, an unknown name is refused and the list offered names
 * every model, every model has the two operations the core calls without
 * a check (run, conn), and the core checks a configuration through the
 * table: a model's own refusal (fork with --workers 2) and a service that
 * does not run under the chosen model, named.
 */
#include "support.h"

#include <string.h>

#include "serve/config.h"
#include "serve/model.h"
#include "serve/server.h"
#include "serve/service.h"

static void test_find_by_name_and_bit(void **state)
{
	static const struct {
		const char *name;
		unsigned bit;
	} want[] = {
		{"event", SIPC__MODEL_EVENT},
		{"thread", SIPC__MODEL_THREAD},
		{"fork", SIPC__MODEL_FORK},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sipc__model_ops *m = sipc__model_find(want[i].name);
		assert_non_null(m);
		assert_string_equal(m->name, want[i].name);
		assert_int_equal(m->bit, want[i].bit);
		assert_ptr_equal(sipc__model_of(want[i].bit), m);
		assert_non_null(m->run);
		assert_non_null(m->conn);
	}
	assert_null(sipc__model_find("select"));
	assert_null(sipc__model_find("Event"));
	assert_null(sipc__model_find(""));
	assert_null(sipc__model_find(NULL));
	assert_null(sipc__model_of(0));
	assert_null(sipc__model_of(8));
}

static void test_names(void **state)
{
	char buf[64];
	char tiny[9];
	size_t n = 0;

	(void)state;
	assert_string_equal(sipc__model_names(buf, sizeof(buf)), "event, thread or fork");
	for (size_t i = 0; sipc__models[i] != NULL; i++)
		n++;
	assert_int_equal(n, 3);
	/* Cut short, it stays a string and never overruns. */
	sipc__model_names(tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_string_equal(tiny, "event");
}

static void check_fails(unsigned model, int workers, const char *line, const char *want)
{
	struct sipc_serve_config cfg;
	char why[512] = "";

	sipc__serve_config_init(&cfg);
	cfg.model = model;
	cfg.workers = workers;
	assert_int_equal(sipc__serve_config_add_text(&cfg, "-e", line, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_config_finish(&cfg, why, sizeof(why)), 0);
	assert_int_equal(sipc__server_check(&cfg, why, sizeof(why)), -1);
	if (strstr(why, want) == NULL)
		fail_msg("'%s' does not say '%s'", why, want);
	sipc__serve_config_free(&cfg);
}

static void check_passes(unsigned model, int workers, const char *line)
{
	struct sipc_serve_config cfg;
	char why[512] = "";

	sipc__serve_config_init(&cfg);
	cfg.model = model;
	cfg.workers = workers;
	assert_int_equal(sipc__serve_config_add_text(&cfg, "-e", line, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_config_finish(&cfg, why, sizeof(why)), 0);
	if (sipc__server_check(&cfg, why, sizeof(why)) != 0)
		fail_msg("refused: %s", why);
	sipc__serve_config_free(&cfg);
}

static void test_check_through_table(void **state)
{
	(void)state;
	check_fails(SIPC__MODEL_FORK, 2, "tcp://127.0.0.1:0 echo",
		    "--model fork accepts in one process");
	check_passes(SIPC__MODEL_FORK, 1, "tcp://127.0.0.1:0 echo");
	check_passes(SIPC__MODEL_THREAD, 2, "tcp://127.0.0.1:0 echo");
	check_fails(SIPC__MODEL_FORK, 0, "tcp://127.0.0.1:0 broadcast",
		    "service broadcast does not work under --model fork");
	check_passes(SIPC__MODEL_THREAD, 0, "tcp://127.0.0.1:0 broadcast");
	check_fails(16, 0, "tcp://127.0.0.1:0 echo", "--model: not event, thread or fork");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_by_name_and_bit),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_through_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
