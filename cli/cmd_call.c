/* `clawkeeper call [--agent URL] [--key-id ID --key-file F | --token-file F]
 * METHOD PATH [--data @file|TEXT] [-H 'Name: value']... [--include]`:
 * send one request to an agent, signed (CK-HMAC-SHA256, docs/api.md) or
 * with a bearer token, and print the response body.
 *
 * Exit codes: 0 2xx, 1 any other status or a transport error, 64 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
#include "client.h"
#include "commands.h"

#define DEFAULT_AGENT "http://127.0.0.1:7600"
#define BODY_MAX (64 * 1024 * 1024)
#define MAX_HEADERS 16

struct call {
	const char *agent, *key_id, *key_file, *token_file, *data, *cacert;
	const char *method, *path;
	const char *headers[MAX_HEADERS];
	int n_headers, include;
	char *body;
	size_t body_len;
};

static void
call_usage(FILE *out)
{
	fprintf(out, "usage: clawkeeper call [--agent URL|unix:/path] "
	    "[--key-id ID --key-file F | --token-file F]\n"
	    "                       METHOD PATH [--data @FILE|TEXT] "
	    "[-H 'Name: value']... [--include] [--cacert F]\n"
	    "  --agent defaults to $CLAWKEEPER_AGENT or " DEFAULT_AGENT "\n");
}

static int
parse_args(int argc, char **argv, struct call *c)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "key-id", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "token-file", required_argument, NULL, 't' },
		{ "data", required_argument, NULL, 'd' },
		{ "header", required_argument, NULL, 'H' },
		{ "include", no_argument, NULL, 'i' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+a:k:K:t:d:H:iC:h", opts,
	    NULL)) != -1 || optind < argc) {
		if (ch == -1) {
			/* positional: METHOD then PATH, options may follow */
			if (c->method == NULL)
				c->method = argv[optind++];
			else if (c->path == NULL)
				c->path = argv[optind++];
			else
				return -1;
			continue;
		}
		switch (ch) {
		case 'a': c->agent = optarg; break;
		case 'k': c->key_id = optarg; break;
		case 'K': c->key_file = optarg; break;
		case 't': c->token_file = optarg; break;
		case 'd': c->data = optarg; break;
		case 'i': c->include = 1; break;
		case 'C': c->cacert = optarg; break;
		case 'H':
			if (c->n_headers == MAX_HEADERS)
				return -1;
			c->headers[c->n_headers++] = optarg;
			break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (c->method == NULL || c->path == NULL || c->path[0] != '/')
		return -1;
	if ((c->key_id != NULL) != (c->key_file != NULL) ||
	    (c->key_file != NULL && c->token_file != NULL))
		return -1;
	return 0;
}

static int
load_body(struct call *c, struct ck_error *err)
{
	if (c->data == NULL)
		return 0;
	if (c->data[0] == '@')
		return ck_file_read(c->data + 1, BODY_MAX, &c->body, &c->body_len,
		    err);
	c->body = strdup(c->data);
	c->body_len = strlen(c->data);
	return 0;
}

/* The token file's first line, or the key file's key, into the client. */
static int
credentials(const struct call *c, struct ck_client *cl, uint8_t *key,
    char **token, struct ck_error *err)
{
	size_t len;

	if (c->token_file != NULL) {
		if (ck_file_read(c->token_file, 4096, token, &len, err) != 0)
			return -1;
		(*token)[strcspn(*token, "\r\n")] = '\0';
		cl->token = *token;
	} else if (c->key_file != NULL) {
		if (ck_agentconf_read_key(c->key_file, key, &cl->key_len, err) != 0)
			return -1;
		cl->key = key;
		cl->key_id = c->key_id;
	}
	return 0;
}

int
ck_cmd_call(int argc, char **argv)
{
	struct call c;
	struct ck_client cl = { 0 };
	struct ck_request_out req = { 0 };
	struct ck_response resp;
	struct ck_error err;
	uint8_t key[CK_KEY_MAX];
	char *token = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	c.agent = getenv("CLAWKEEPER_AGENT");
	if (c.agent == NULL)
		c.agent = DEFAULT_AGENT;
	rc = parse_args(argc, argv, &c);
	if (rc != 0) {
		call_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 64;
	}
	if (load_body(&c, &err) != 0) {
		fprintf(stderr, "clawkeeper call: %s\n", err.msg);
		return 1;
	}
	if (credentials(&c, &cl, key, &token, &err) != 0) {
		fprintf(stderr, "clawkeeper call: %s\n", err.msg);
		free(c.body);
		return 1;
	}
	req.method = c.method;
	req.path = c.path;
	req.body = c.body;
	req.body_len = c.body_len;
	req.headers = c.headers;
	req.n_headers = c.n_headers;
	req.include_headers = c.include;
	cl.agent = c.agent;
	cl.cacert = c.cacert;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (ck_client_send(&cl, &req, &resp, &err) != 0) {
		fprintf(stderr, "clawkeeper call: %s\n", err.msg);
		rc = 1;
	} else {
		if (resp.body != NULL)
			fwrite(resp.body, 1, resp.len, stdout);
		fflush(stdout);
		if (resp.status < 200 || resp.status > 299)
			fprintf(stderr, "\nclawkeeper call: HTTP %ld\n", resp.status);
		rc = resp.status >= 200 && resp.status <= 299 ? 0 : 1;
		ck_response_free(&resp);
	}
	curl_global_cleanup();
	explicit_bzero(key, sizeof(key));
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	free(c.body);
	return rc;
}
