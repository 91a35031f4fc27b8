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
#include <time.h>
#include <curl/curl.h>

#include "clawkeeper/agentconf.h"
#include "clawkeeper/fileio.h"
#include "clawkeeper/hash.h"
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

static void
body_sha256(const struct call *c, char hex[CK_SHA256_HEX_LEN])
{
	ck_sha256_hex(c->body ? c->body : "", c->body_len, hex);
}

static char *
auth_header(const struct call *c, struct ck_error *err)
{
	uint8_t key[CK_KEY_MAX], rnd[16], mac[CK_SHA256_LEN];
	char nonce[33], body_hex[CK_SHA256_HEX_LEN], sig[2 * CK_SHA256_LEN + 1];
	size_t key_len;
	long long ts = (long long)time(NULL);
	char *canon, *h;

	if (c->token_file != NULL) {
		char *tok = NULL;
		size_t len;

		if (ck_file_read(c->token_file, 4096, &tok, &len, err) != 0)
			return NULL;
		tok[strcspn(tok, "\r\n")] = '\0';
		h = ck_strdup_printf("Authorization: Bearer %s", tok);
		explicit_bzero(tok, len);
		free(tok);
		return h;
	}
	if (c->key_file == NULL)
		return NULL;
	if (ck_agentconf_read_key(c->key_file, key, &key_len, err) != 0 ||
	    ck_random_bytes(rnd, sizeof(rnd)) != 0)
		return NULL;
	ck_hex_encode(rnd, sizeof(rnd), nonce);
	body_sha256(c, body_hex);
	canon = ck_strdup_printf("%s\n%s\n%lld\n%s\n%s", c->method, c->path, ts,
	    nonce, body_hex);
	if (canon == NULL)
		return NULL;
	ck_hmac_sha256(key, key_len, canon, strlen(canon), mac);
	explicit_bzero(key, sizeof(key));
	free(canon);
	ck_hex_encode(mac, sizeof(mac), sig);
	return ck_strdup_printf("Authorization: CK-HMAC-SHA256 keyId=%s, "
	    "ts=%lld, nonce=%s, signature=%s", c->key_id, ts, nonce, sig);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *ud)
{
	(void)ud;
	fwrite(buf, size, n, stderr);
	return size * n;
}

/* 1 when the caller gave this header with -H (case-insensitive name). */
static int
has_header(const struct call *c, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < c->n_headers; i++)
		if (strncasecmp(c->headers[i], name, n) == 0 && c->headers[i][n] == ':')
			return 1;
	return 0;
}

static int
send_request(struct call *c, const char *auth)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *hl = NULL;
	char *url;
	long status = 0;
	CURLcode rc;
	int i;

	if (curl == NULL)
		return 1;
	if (strncmp(c->agent, "unix:", 5) == 0) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->agent + 5);
		url = ck_strdup_printf("http://localhost%s", c->path);
	} else
		url = ck_strdup_printf("%s%s", c->agent, c->path);
	if (auth != NULL)
		hl = curl_slist_append(hl, auth);
	/* the agent checks the body against it, and a signature covers it, so
	 * the signature is verified before the agent reads the body */
	if (c->body != NULL || c->key_file != NULL) {
		char hex[CK_SHA256_HEX_LEN], *h;

		body_sha256(c, hex);
		h = ck_strdup_printf("X-Content-SHA256: %s", hex);
		if (h != NULL)
			hl = curl_slist_append(hl, h);
		free(h);
	}
	if (c->body != NULL && !has_header(c, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type: application/json");
	for (i = 0; i < c->n_headers; i++)
		hl = curl_slist_append(hl, c->headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	/* the signature covers the path exactly as written */
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
	if (c->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)c->body_len);
	}
	if (c->include)
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	if (c->cacert != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "clawkeeper call: %s: %s\n", c->agent,
		    curl_easy_strerror(rc));
	fflush(stdout);
	curl_slist_free_all(hl);
	curl_easy_cleanup(curl);
	free(url);
	if (rc == CURLE_OK && (status < 200 || status > 299))
		fprintf(stderr, "\nclawkeeper call: HTTP %ld\n", status);
	return rc == CURLE_OK && status >= 200 && status <= 299 ? 0 : 1;
}

int
ck_cmd_call(int argc, char **argv)
{
	struct call c;
	struct ck_error err;
	char *auth = NULL;
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
	err.msg[0] = '\0';
	auth = auth_header(&c, &err);
	if (auth == NULL && err.msg[0] != '\0') {
		fprintf(stderr, "clawkeeper call: %s\n", err.msg);
		free(c.body);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = send_request(&c, auth);
	curl_global_cleanup();
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	free(c.body);
	return rc;
}
