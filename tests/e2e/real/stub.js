// A model provider stub on loopback for the real e2e scenarios: every
// provider of the instance points at http://127.0.0.1:PORT/<provider>, and
// the answer is chosen per path prefix so a real OpenClaw turn fails over
// the way it would in the field (primary 401 "token expired", fallback ok).
// The answer shapes are agent/stub_provider.c's, which OpenClaw accepted.
//
//   node stub.js PORT_FILE REQUEST_LOG ROUTES_FILE
// ROUTES_FILE: {"/openai": "401", "/anthropic": "ok", "/openrouter": "429"},
// re-read on every request so a scenario can change answers mid-run.
// Anything unrouted gets 401. REQUEST_LOG gets one JSON line per request
// (method, path, model, answer), never a header: keys stay out of logs.
'use strict';
const http = require('http');
const fs = require('fs');

const [portFile, requestLog, routesFile] = process.argv.slice(2);
const REPLY = 'hello from fallback';
const expired = JSON.stringify({error: {message: 'Your authentication token has expired. ' +
	'Please try signing in again.', type: 'invalid_request_error', code: 'token_expired'}});
const limited = JSON.stringify({error: {message: 'Rate limit reached for requests. ' +
	'Please try again later.', type: 'rate_limit_error', code: 'rate_limit_exceeded'}});

function routes() {
	try {
		return JSON.parse(fs.readFileSync(routesFile, 'utf8'));
	} catch (e) {
		return {};
	}
}

function answerFor(path) {
	const table = routes();
	let best = '', answer = '401';
	for (const prefix of Object.keys(table)) {
		if (path.startsWith(prefix) && prefix.length > best.length) {
			best = prefix;
			answer = String(table[prefix]);
		}
	}
	return answer;
}

function openai(res, model, stream) {
	if (!stream) {
		res.writeHead(200, {'Content-Type': 'application/json'});
		res.end(JSON.stringify({id: 'chatcmpl-ck', object: 'chat.completion', created: 0, model,
			choices: [{index: 0, message: {role: 'assistant', content: REPLY},
				finish_reason: 'stop'}],
			usage: {prompt_tokens: 1, completion_tokens: 6, total_tokens: 7}}));
		return;
	}
	res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'});
	const chunk = (delta, finish, usage) => 'data: ' + JSON.stringify(Object.assign({
		id: 'chatcmpl-ck', object: 'chat.completion.chunk', created: 0, model,
		choices: [{index: 0, delta, finish_reason: finish}]}, usage ? {usage} : {})) + '\n\n';
	res.write(chunk({role: 'assistant', content: REPLY}, null));
	res.write(chunk({}, 'stop', {prompt_tokens: 1, completion_tokens: 6, total_tokens: 7}));
	res.end('data: [DONE]\n\n');
}

function anthropic(res, model) {
	const ev = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
	res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'});
	res.write(ev('message_start', {type: 'message_start', message: {id: 'msg_ck', type: 'message',
		role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
		usage: {input_tokens: 1, output_tokens: 1}}}));
	res.write(ev('content_block_start', {type: 'content_block_start', index: 0,
		content_block: {type: 'text', text: ''}}));
	res.write(ev('content_block_delta', {type: 'content_block_delta', index: 0,
		delta: {type: 'text_delta', text: REPLY}}));
	res.write(ev('content_block_stop', {type: 'content_block_stop', index: 0}));
	res.write(ev('message_delta', {type: 'message_delta', delta: {stop_reason: 'end_turn',
		stop_sequence: null}, usage: {output_tokens: 6}}));
	res.end(ev('message_stop', {type: 'message_stop'}));
}

const server = http.createServer((req, res) => {
	let body = '';
	req.on('data', (d) => { body += d; });
	req.on('end', () => {
		let parsed = {};
		try { parsed = JSON.parse(body); } catch (e) { /* GETs have no body */ }
		const model = typeof parsed.model === 'string' ? parsed.model : '';
		const answer = req.method === 'POST' ? answerFor(req.url) : 'listing';
		fs.appendFileSync(requestLog, JSON.stringify({time: Date.now(), method: req.method,
			path: req.url, model, answer}) + '\n');
		if (req.method !== 'POST') {
			res.writeHead(200, {'Content-Type': 'application/json'});
			res.end(JSON.stringify({object: 'list', data: [], models: []}));
		} else if (answer === 'ok') {
			if (req.url.includes('/messages'))
				anthropic(res, model);
			else
				openai(res, model, parsed.stream === true);
		} else if (answer === '429') {
			res.writeHead(429, {'Content-Type': 'application/json'});
			res.end(limited);
		} else {
			res.writeHead(401, {'Content-Type': 'application/json'});
			res.end(expired);
		}
	});
});

server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile + '.tmp', String(server.address().port));
	fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
