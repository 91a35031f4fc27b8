/* A stand-in model provider on 127.0.0.1 for the fallback drill and the
 * tests: OpenClaw's providers are pointed at it so a real turn fails (or
 * succeeds) on demand with no network. Answers, by request path prefix and
 * optionally by the request body's "model":
 *   401  {"error":{"message":"Your authentication token has expired. ...",
 *        "type":"invalid_request_error","code":"token_expired"}} (default)
 *   429  a rate-limit error
 *   ok   a streamed success in the shape the path asks for: OpenAI
 *        chat-completions SSE (.../chat/completions), Anthropic messages
 *        SSE (.../messages), ollama NDJSON (.../api/chat).
 * Every request is logged (path, model, status) for diagnostics. */
#ifndef CK_STUB_PROVIDER_H
#define CK_STUB_PROVIDER_H

#include <jansson.h>
#include "error.h"

enum ck_stub_answer {
	CK_STUB_TOKEN_EXPIRED = 0, /* HTTP 401 token_expired */
	CK_STUB_RATE_LIMITED,      /* HTTP 429 */
	CK_STUB_SUCCESS,           /* HTTP 200, streamed when asked */
};

/* The reply text of CK_STUB_SUCCESS. */
#define CK_STUB_REPLY "hello from the clawkeeper stub"

struct ck_stub_provider;

/* Listens on 127.0.0.1, port 0 (the kernel picks), in its own thread. */
struct ck_stub_provider *ck_stub_provider_start(struct ck_error *err);
unsigned ck_stub_provider_port(const struct ck_stub_provider *stub);
/* Answer requests whose path starts with `prefix` (and, when model is
 * not NULL, whose JSON body has that "model") with `answer`. The longest
 * matching prefix wins; a model rule beats a prefix-only rule. */
int ck_stub_provider_route(struct ck_stub_provider *stub, const char *prefix,
			   const char *model, enum ck_stub_answer answer,
			   struct ck_error *err);
/* [{"method","path","model","status"}] in arrival order (a new array). */
json_t *ck_stub_provider_log(struct ck_stub_provider *stub);
/* Stops the thread, waits for open connections, frees. NULL is fine. */
void ck_stub_provider_stop(struct ck_stub_provider *stub);

/* "401"/"expired", "429"/"rate_limited", "ok"/"success"; -1 otherwise. */
int ck_stub_answer_parse(const char *s, enum ck_stub_answer *out);

#endif
