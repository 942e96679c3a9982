// A Standard Webhooks receiver using the reference library (npm
// "standardwebhooks"): webhook-id, webhook-timestamp and webhook-signature
// verified with the company's whsec_ secret over the raw body.
//
// Env: WEBHOOK_SECRET (whsec_...), PORT (0 picks one). Prints
// "listening PORT", then "accepted|rejected <webhook-id> <detail>".
'use strict';
const http = require('http');
const { Webhook } = require('standardwebhooks');

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('WEBHOOK_SECRET is required');
  process.exit(2);
}
const wh = new Webhook(secret);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'] || '-';
    const event = req.url.split('/').pop();
    try {
      wh.verify(body, req.headers);
    } catch (err) {
      console.log(`rejected ${id} ${String(err.message || err).replace(/\s+/g, '-')}`);
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return res.end('{"error":"invalid signature"}');
    }
    console.log(`accepted ${id} ${event}`);
    res.writeHead(204);
    res.end();
  });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
