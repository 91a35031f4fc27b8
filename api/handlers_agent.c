/* GET /v1/agent: who is answering (version, uptime, instance id). The
 * only open route: it says nothing about the instance's state. */
#include "internal.h"

enum MHD_Result
ck_h_agent(struct ck_request *req)
{
	long long now = ck_clock_now_ms();

	return ck_reply_json(req, 200, json_pack("{s:s, s:s, s:I, s:s}",
	    "name", "clawkeeper", "version", CK_VERSION,
	    "uptime_s", (json_int_t)((now - req->srv->started_ms) / 1000),
	    "instance_id", ck_req_conf(req)->instance_id), NULL);
}
