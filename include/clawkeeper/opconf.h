/* The "operations" and "gateway" sections of the agent config: where
 * operations keep their journal, snapshots and releases, and how the
 * gateway is restarted. Parsed here (agent/) so the API's config loader
 * and the CLI share one reading.
 *
 * "operations": {"work_dir": "/var/lib/clawkeeper/work",
 *                "releases_root": "/var/lib/clawkeeper/releases",
 *                "install": "npm install --prefix {releases}/{version} ...",
 *                "drill": true, "allow_http": false,
 *                "min_free_mb": 64, "ready_timeout_ms": 60000}
 * "gateway":    see gateway.h (ck_gateway_conf_from_json) */
#ifndef CK_OPCONF_H
#define CK_OPCONF_H

#include <jansson.h>
#include "error.h"
#include "gateway.h"
#include "gwwatch.h"
#include "engine.h"

struct ck_opconf {
	char *work_dir;
	char *releases_root;
	char *install_template;
	int drill;
	int allow_http;
	long long min_free_bytes;
	int ready_timeout_ms;
	int settle_ms;
	int stop_grace_ms;            /* serve's stop waits this long for an operation */
	struct ck_gateway_conf gw;
	struct ck_gwwatch_conf watch; /* gateway.watch */
};

/* The "operations" section's fields (conftable.h), for `config fields`. */
struct ck_cf_section;
extern const struct ck_cf_section ck_opconf_section;

/* operations / gateway may be NULL (defaults). Problems are appended to
 * `problems` (strings like "operations.drill: expected true or false");
 * returns 0 when there were none. base_dir resolves relative paths. */
int ck_opconf_parse(struct ck_opconf *oc, const json_t *operations,
		    const json_t *gateway, const char *base_dir,
		    json_t *problems, struct ck_error *err);
/* The instance's paths and binary, taken before the "gateway" section is
 * read so the section only names what differs. */
struct ck_opconf_instance {
	const char *state_dir, *config_path, *openclaw_bin;
};
int ck_opconf_parse_for(struct ck_opconf *oc, const json_t *operations,
			const json_t *gateway, const struct ck_opconf_instance *inst,
			const char *base_dir, json_t *problems, struct ck_error *err);
void ck_opconf_free(struct ck_opconf *oc);
/* The gateway runs the instance: take its paths and binary where the
 * gateway section did not name its own. */
void ck_opconf_fill_instance(struct ck_opconf *oc, const char *state_dir,
			     const char *config_path, const char *openclaw_bin);
/* Fills an engine conf pointing into oc (and the given instance paths). */
void ck_opconf_engine(struct ck_opconf *oc, const char *journal_dir,
		      const char *settings_path,
		      const struct ck_instance_opts *inst,
		      struct ck_opengine_conf *out);

#endif
