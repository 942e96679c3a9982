// A receiver using Svix's library (npm "svix"), which verifies the same
// Standard Webhooks headers with the company's whsec_ secret.
//
// Env: WEBHOOK_SECRET (whsec_...), PORT (0 picks one). Prints
// "listening PORT", then "accepted|rejected <webhook-id> <detail>".
'use strict';
const http = require('http');
const { Webhook } = require('svix');

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
    const payload = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'] || '-';
    const event = req.url.split('/').pop();
    try {
      wh.verify(payload, {
        'webhook-id': req.headers['webhook-id'],
        'webhook-timestamp': req.headers['webhook-timestamp'],
        'webhook-signature': req.headers['webhook-signature'],
      });
    } catch (err) {
      console.log(`rejected ${id} ${String(err.message || err).replace(/\s+/g, '-')}`);
      res.writeHead(400, { 'Content-Type': 'application/json' });
      return res.end('{"error":"invalid signature"}');
    }
    console.log(`accepted ${id} ${event}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
