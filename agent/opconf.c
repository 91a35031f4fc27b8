/* Reading the agent config's "operations" and "gateway" sections. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/release.h"
#include "clawkeeper/conftable.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/opconf.h"

#define DEFAULT_WORK_DIR "/var/lib/clawkeeper/work"

#define F(type, member) CK_CF_##type, offsetof(struct ck_opconf, member)

/* The "operations" section (conftable.h); install is checked below. */
static const struct ck_cf_field ops_fields[] = {
	{ "work_dir", F(PATH, work_dir), .dflt_str = DEFAULT_WORK_DIR,
	  .doc = "snapshots, staging, uploads, the agent lock and gateway.pid" },
	{ "releases_root", F(PATH, releases_root), .doc = "OpenClaw releases side by side, current a link" },
	{ "install", CK_CF_CUSTOM, 0, .doc = "command template that lays out a release ({releases} {version})" },
	{ "drill", F(BOOL, drill), .dflt = 1, .doc = "run the fallback drill after every restart" },
	{ "allow_http", F(BOOL, allow_http), .dflt = 0, .doc = "accept plain-http import and release URLs (tests only)" },
	{ "min_free_mb", F(LLONG, min_free_bytes), .lo = 0, .hi = 1 << 20, .scale = 1 << 20,
	  .dflt = 64, .doc = "free space an operation must leave, in MiB" },
	{ "ready_timeout_ms", F(INT, ready_timeout_ms), .lo = 0, .hi = 3600000, .dflt = 0,
	  .doc = "how long a started gateway may take to be ready (0: the version's own)" },
	{ "settle_ms", F(INT, settle_ms), .lo = 0, .hi = 600000, .dflt = 3000,
	  .doc = "how long a ready gateway must stay ready" },
	{ "stop_grace_ms", F(INT, stop_grace_ms), .lo = 0, .hi = 3600000, .dflt = 15000,
	  .doc = "how long serve's stop waits for a running operation" },
};
const struct ck_cf_section ck_opconf_section = { "operations", ops_fields, CK_CF_N(ops_fields) };

int
ck_opconf_parse(struct ck_opconf *oc, const json_t *operations, const json_t *gateway,
		const char *base_dir, json_t *problems, struct ck_error *err)
{
	return ck_opconf_parse_for(oc, operations, gateway, NULL, base_dir, problems, err);
}

int
ck_opconf_parse_for(struct ck_opconf *oc, const json_t *operations, const json_t *gateway,
		    const struct ck_opconf_instance *inst, const char *base_dir,
		    json_t *problems, struct ck_error *err)
{
	struct ck_cf_ctx ctx = { problems, err, 0, base_dir };
	struct ck_error gerr;
	json_t *val;

	memset(oc, 0, sizeof(*oc));
	ck_gateway_conf_init(&oc->gw);
	ck_cf_defaults(&ck_opconf_section, oc);
	if (inst != NULL)
		ck_opconf_fill_instance(oc, inst->state_dir, inst->config_path,
					inst->openclaw_bin);
	ck_cf_read(&ctx, &ck_opconf_section, operations, oc);
	val = json_is_object(operations) ? json_object_get(operations, "install") : NULL;
	if (val != NULL) {
		if (!json_is_string(val) || strstr(json_string_value(val), "{version}") == NULL)
			ck_cf_bad(&ctx, "operations.install: expected a command "
				  "template containing {version}");
		else
			oc->install_template = strdup(json_string_value(val));
	}
	ck_error_clear(&gerr);
	if (gateway != NULL && ck_gateway_conf_from_json(&oc->gw, gateway, &gerr) < 0)
		ck_cf_bad(&ctx, "gateway: %s", gerr.msg);
	ck_gwwatch_conf_init(&oc->watch);
	if (ck_gwwatch_conf_from_json(&oc->watch, json_object_get(gateway, "watch"), &gerr) < 0)
		ck_cf_bad(&ctx, "%s", gerr.msg);
	return ctx.n_bad == 0 ? 0 : -1;
}

void
ck_opconf_free(struct ck_opconf *oc)
{
	free(oc->work_dir);
	free(oc->releases_root);
	free(oc->install_template);
	ck_gateway_conf_free(&oc->gw);
	memset(oc, 0, sizeof(*oc));
}

void
ck_opconf_engine(struct ck_opconf *oc, const char *journal_dir, const char *settings_path,
		 const struct ck_instance_opts *inst, struct ck_opengine_conf *out)
{
	memset(out, 0, sizeof(*out));
	out->journal_dir = journal_dir;
	out->work_dir = oc->work_dir;
	out->releases_root = oc->releases_root;
	out->install_template = oc->install_template;
	out->settings_path = settings_path;
	out->inst = *inst;
	out->gw = &oc->gw;
	out->drill = oc->drill;
	out->allow_http = oc->allow_http;
	out->min_free_bytes = oc->min_free_bytes;
	out->ready_timeout_ms = oc->ready_timeout_ms;
	out->settle_ms = oc->settle_ms;
}

void
ck_opconf_fill_instance(struct ck_opconf *oc, const char *state_dir,
			const char *config_path, const char *openclaw_bin)
{
	struct ck_gateway_conf *gw = &oc->gw;

	if (gw->state_dir == NULL && state_dir != NULL)
		gw->state_dir = strdup(state_dir);
	if (gw->config_path == NULL && config_path != NULL)
		gw->config_path = strdup(config_path);
	if (gw->openclaw_argv == NULL && openclaw_bin != NULL)
		gw->openclaw_argv = ck_release_resolve_argv(ck_gateway_argv_split(openclaw_bin));
}
