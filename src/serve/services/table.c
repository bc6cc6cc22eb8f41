/*
 * table.c - the table that names the services of `sockipc serve`.  A new
 * service is one file in this directory and one line here (service.h
 * says how it plugs in).
 */
#include <string.h>

#include "serve/services/services.h"

const struct sipc_service *const sipc__services[] = {
	&sipc__svc_echo,
	&sipc__svc_discard,
	&sipc__svc_chargen,
	&sipc__svc_daytime,
	&sipc__svc_time,
	&sipc__svc_exec,
	&sipc__svc_forward,
	&sipc__svc_broadcast,
	&sipc__svc_socks5,
	&sipc__svc_http_connect,
	NULL,
};

const struct sipc_service *sipc__service_find(const char *name)
{
	for (size_t i = 0; sipc__services[i] != NULL; i++)
		if (strcmp(sipc__services[i]->name, name) == 0)
			return sipc__services[i];
	return NULL;
}
