// A CallRail webhook receiver as CallRail's customers write it in Node:
// Express hands over the raw body, and the base64 HMAC-SHA1 of those exact
// bytes under the company's signing key must equal the Signature header.
//
// Env: CALLRAIL_SIGNING_KEY, PORT (0 picks one). Prints "listening PORT",
// then "accepted|rejected <webhook-id> <detail>" per request.
'use strict';
const crypto = require('crypto');
const express = require('express');

const key = process.env.CALLRAIL_SIGNING_KEY;
if (!key) {
  console.error('CALLRAIL_SIGNING_KEY is required');
  process.exit(2);
}

const app = express();
// express.json() would re-encode the body; the signature covers the raw bytes.
app.use(express.raw({ type: '*/*', limit: '2mb' }));

app.post('/callrail/:event', (req, res) => {
  const id = req.get('webhook-id') || '-';
  const expected = crypto.createHmac('sha1', key).update(req.body).digest('base64');
  const got = req.get('Signature') || '';
  const ok = got.length === expected.length &&
    crypto.timingSafeEqual(Buffer.from(got), Buffer.from(expected));
  if (!ok) {
    console.log(`rejected ${id} bad-signature`);
    return res.status(401).json({ error: 'invalid signature' });
  }
  JSON.parse(req.body.toString('utf8')); // a body that is not JSON throws: 500
  console.log(`accepted ${id} ${req.params.event}`);
  res.status(200).json({ ok: true });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
