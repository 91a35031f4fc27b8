/* Ollama's own model listing, GET {baseUrl}/api/tags, used to fill an
 * empty models.providers.ollama.models. Short timeouts and a size cap:
 * a dead or hostile endpoint costs at most a few seconds and 1 MiB. */
#ifndef CK_OLLAMA_H
#define CK_OLLAMA_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

#define CK_OLLAMA_DEFAULT_BASE_URL "http://127.0.0.1:11434"
#define CK_OLLAMA_CONNECT_TIMEOUT_MS 2000L
#define CK_OLLAMA_TIMEOUT_MS 5000L
#define CK_OLLAMA_MAX_BODY (1024 * 1024)

/* Fetches the listing; *names is a new array of model names
 * ("llama3.1:8b") in the order Ollama gave them. ud is unused (the
 * signature matches ck_gen_list_models_fn). */
int ck_ollama_list_models(const char *base_url, json_t **names,
			  struct ck_error *err, void *ud);
/* Parses a /api/tags body {"models":[{"name":...},...]}. */
int ck_ollama_parse_tags(const char *body, size_t len, json_t **names,
			 struct ck_error *err);
/* The listing URL for a provider baseUrl: trailing '/' and an
 * OpenAI-compatible "/v1" suffix are dropped. Caller frees. */
char *ck_ollama_tags_url(const char *base_url);

#endif
