/* The route table: every (method, path pattern) the API answers, its
 * handler and the scope it needs. Matching is exact per segment; one
 * {param} segment at most. Nothing is dispatched that is not listed. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

const struct ck_route ck_routes[] = {
	{ "GET", "/v1/agent", ck_h_agent, CK_SCOPE_NONE, "/v1/agent", 0 },
	{ "GET", "/v1/instance/health", ck_h_health, CK_SCOPE_READ,
	    "/v1/instance/health", 0 },
	{ "GET", "/v1/instance/config", ck_h_config, CK_SCOPE_READ,
	    "/v1/instance/config", 0 },
	{ "GET", "/v1/instance/decisions", ck_h_decisions, CK_SCOPE_READ,
	    "/v1/instance/decisions", 0 },
	{ "GET", "/v1/instance/settings", ck_h_settings_get, CK_SCOPE_READ,
	    "/v1/instance/settings", 0 },
	{ "PUT", "/v1/instance/settings", ck_h_settings_put, CK_SCOPE_OPERATE,
	    "/v1/instance/settings", 0 },
	{ "GET", "/v1/operations", ck_h_ops_list, CK_SCOPE_READ,
	    "/v1/operations", 0 },
	{ "GET", "/v1/operations/{id}", ck_h_ops_get, CK_SCOPE_READ,
	    "/v1/operations/{id}", 0 },
	{ "POST", "/v1/instance/config/plan", ck_h_plan, CK_SCOPE_READ,
	    "/v1/instance/config/plan", 0 },
	{ "POST", "/v1/regenerate", ck_h_regenerate, CK_SCOPE_OPERATE,
	    "/v1/regenerate", 0 },
	{ "POST", "/v1/upgrades", ck_h_upgrade, CK_SCOPE_OPERATE,
	    "/v1/upgrades", 0 },
	{ "POST", "/v1/imports", ck_h_import, CK_SCOPE_OPERATE,
	    "/v1/imports", 1 },
	{ "GET", "/metrics", ck_h_metrics, CK_SCOPE_READ, "/metrics", 0 },
};
const size_t ck_n_routes = sizeof(ck_routes) / sizeof(ck_routes[0]);

/* 1 when path matches pattern; the {param} segment is copied out. */
static int
path_matches(const char *pattern, const char *path, char *param,
    size_t param_len)
{
	const char *open = strchr(pattern, '{');
	size_t prefix;
	const char *seg;
	size_t seg_len;

	if (open == NULL)
		return strcmp(pattern, path) == 0;
	prefix = (size_t)(open - pattern);
	if (strncmp(pattern, path, prefix) != 0)
		return 0;
	seg = path + prefix;
	seg_len = strcspn(seg, "/");
	/* the pattern's tail after "}" must match the rest exactly */
	if (seg_len == 0 || seg_len >= param_len ||
	    strcmp(strchr(open, '}') + 1, seg + seg_len) != 0)
		return 0;
	memcpy(param, seg, seg_len);
	param[seg_len] = '\0';
	return 1;
}

int
ck_route_match(const char *method, const char *path, int *idx, char *param,
    size_t param_len, char *allow, size_t allow_len)
{
	/* HEAD is GET without the body: the handler runs, libmicrohttpd
	 * sends the same headers and leaves the body out */
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	size_t i;
	int path_seen = 0;
	char scratch[CK_OP_ID_MAX + 1];

	allow[0] = '\0';
	for (i = 0; i < ck_n_routes; i++) {
		if (!path_matches(ck_routes[i].pattern, path, scratch,
		    sizeof(scratch)))
			continue;
		if (strcmp(ck_routes[i].method, want) == 0) {
			snprintf(param, param_len, "%s", scratch);
			*idx = (int)i;
			return 0;
		}
		if (path_seen++ > 0)
			strncat(allow, ", ", allow_len - strlen(allow) - 1);
		strncat(allow, ck_routes[i].method, allow_len - strlen(allow) - 1);
		if (strcmp(ck_routes[i].method, "GET") == 0)
			strncat(allow, ", HEAD", allow_len - strlen(allow) - 1);
	}
	return path_seen ? -2 : -1;
}
