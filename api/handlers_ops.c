/* GET /v1/operations and /v1/operations/{id}: the operations journal,
 * newest first, and one record with its steps. */
#include <stdlib.h>
#include <string.h>

#include "clawkeeper/journal.h"
#include "internal.h"

#define OPS_LIST_MAX 1000

enum MHD_Result
ck_h_ops_list(struct ck_request *req)
{
	struct ck_error err;
	json_t *ops = ck_op_list(ck_req_conf(req)->journal_dir, OPS_LIST_MAX,
	    &err);

	if (ops == NULL)
		return ck_reply_error(req, 503, "journal_unreadable", "%s", err.msg);
	return ck_reply_json(req, 200, json_pack("{s:o}", "operations", ops),
	    NULL);
}

enum MHD_Result
ck_h_ops_get(struct ck_request *req)
{
	struct ck_error err;
	json_t *op;

	if (!ck_op_id_valid(req->param))
		return ck_reply_error(req, 404, "not_found", "%s",
		    "no such operation");
	snprintf(req->op_id, sizeof(req->op_id), "%s", req->param);
	op = ck_op_read(ck_req_conf(req)->journal_dir, req->param, &err);
	if (op == NULL) {
		if (strncmp(err.msg, "not found", 9) == 0)
			return ck_reply_error(req, 404, "not_found",
			    "no operation %s", req->param);
		return ck_reply_error(req, 503, "journal_unreadable", "%s",
		    err.msg);
	}
	return ck_reply_json(req, 200, op, NULL);
}

enum MHD_Result
ck_h_metrics(struct ck_request *req)
{
	struct ck_error err;
	json_t *health = ck_health_cache_get(req->srv->health, NULL, NULL);
	json_t *ops = ck_op_list(ck_req_conf(req)->journal_dir, 100000, &err);
	size_t len = 0;
	char *text = ck_metrics_render(req->srv->metrics, health, ops, &len);
	enum MHD_Result rc;

	json_decref(health);
	json_decref(ops);
	if (text == NULL)
		return ck_reply_error(req, 500, "internal", "%s", "out of memory");
	rc = ck_reply_bytes(req, 200, text, len,
	    "text/plain; version=0.0.4; charset=utf-8", NULL);
	free(text);
	return rc;
}
