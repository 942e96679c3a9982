// Callhooks webhook receiver for Node.js, using node:crypto only.
// It checks the CallRail `Signature` header and the Standard Webhooks
// headers, answers at once, and prints one JSON line per request.
//
//   CALLHOOKS_SIGNING_KEY=<signing_key or webhook_secret> node verify.js 8000
//
// During a key rotation put both keys in CALLHOOKS_SIGNING_KEY, space-separated.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

const TOLERANCE_SECONDS = 5 * 60; // how far webhook-timestamp may be from our clock
const MAX_BODY = 1 << 20; // webhook bodies are a few KiB
const MAX_REMEMBERED = 10000; // webhook-ids kept for deduplication

// A key is the company's signing_key (its ASCII bytes are the HMAC key) or
// the same key as webhook_secret: "whsec_" + base64 of those bytes.
function decodeKey(k) {
  return k.startsWith('whsec_') ? Buffer.from(k.slice(6), 'base64') : Buffer.from(k, 'utf8');
}

const keys = (process.env.CALLHOOKS_SIGNING_KEY || '').split(/\s+/).filter(Boolean).map(decodeKey);
const port = Number(process.argv[2] || process.env.PORT || 8000);
const host = process.env.HOST || '127.0.0.1';

function hmacBase64(algorithm, key, parts) {
  const mac = crypto.createHmac(algorithm, key);
  for (const p of parts) mac.update(p);
  return mac.digest('base64');
}

// Constant-time comparison; timingSafeEqual needs equal lengths.
function safeEqual(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// CallRail scheme: Signature = base64(HMAC-SHA1(key, raw body)).
function callRailValid(headers, body) {
  const got = headers['signature'];
  if (typeof got !== 'string' || got === '') return false;
  return keys.some((k) => safeEqual(got, hmacBase64('sha1', k, [body])));
}

// Standard Webhooks: webhook-signature holds space-separated "v1,<base64>"
// entries of HMAC-SHA256(key, id + "." + timestamp + "." + body), one per
// active key (two during a rotation); any one matching any key is enough.
function standardValid(headers, body) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (!id || !sigs || !/^(0|[1-9][0-9]*)$/.test(ts || '')) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_SECONDS) return false;
  const want = keys.map((k) => hmacBase64('sha256', k, [`${id}.${ts}.`, body]));
  return sigs.split(' ').some((entry) => {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') return false; // other versions are ignored
    const sig = entry.slice(comma + 1);
    return want.some((w) => safeEqual(sig, w));
  });
}

// Every retry of one delivery carries the same webhook-id: remember the ids
// already handled (a real receiver keeps them in its database).
const seen = new Map();
function firstTime(id) {
  if (seen.has(id)) return false;
  seen.set(id, Date.now());
  if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value);
  return true;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    if (size > MAX_BODY) return; // already refused
    size += chunk.length;
    if (size > MAX_BODY) {
      res.writeHead(413, { Connection: 'close' }).end();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return;
    const body = Buffer.concat(chunks); // verify the raw bytes, never re-serialized JSON
    const callrail = callRailValid(req.headers, body);
    const standard = standardValid(req.headers, body);
    const id = req.headers['webhook-id'] || null;
    const ok = callrail && standard;
    const duplicate = ok && !firstTime(id);
    // Answer before doing any work: Callhooks retries a slow answer.
    res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(ok ? '{"ok":true}' : '{"error":"invalid signature"}');
    console.log(JSON.stringify({
      event: req.headers['x-callhooks-event'] || null,
      webhook_id: id,
      callrail_valid: callrail,
      standard_valid: standard,
      duplicate,
    }));
    // if (ok && !duplicate) queue the work here, e.g. setImmediate(() => handle(JSON.parse(body)));
  });
});

if (keys.length === 0) {
  console.error('set CALLHOOKS_SIGNING_KEY to the company signing_key (or webhook_secret)');
  process.exit(2);
}
server.listen(port, host, () => console.error(`verifying webhooks on http://${host}:${port}`));
