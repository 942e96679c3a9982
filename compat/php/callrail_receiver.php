<?php
// A CallRail webhook receiver as PHP sites write it, served by PHP's
// built-in server (php -S 127.0.0.1:PORT callrail_receiver.php): the raw
// body from php://input, the header from $_SERVER['HTTP_SIGNATURE'].
//
// Env: CALLRAIL_SIGNING_KEY. Writes "accepted|rejected <webhook-id> <detail>"
// per request to stdout.
$key = getenv('CALLRAIL_SIGNING_KEY');
$body = file_get_contents('php://input');
$id = $_SERVER['HTTP_WEBHOOK_ID'] ?? '-';
$event = basename(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
$out = fopen('php://stdout', 'w');

$expected = base64_encode(hash_hmac('sha1', $body, $key, true));
$signature = $_SERVER['HTTP_SIGNATURE'] ?? '';
header('Content-Type: application/json');
if (!hash_equals($expected, $signature)) {
    fwrite($out, "rejected $id bad-signature\n");
    http_response_code(401);
    echo '{"error":"invalid signature"}';
    return;
}
if (json_decode($body, true) === null) {
    fwrite($out, "rejected $id not-json\n");
    http_response_code(400);
    echo '{"error":"not JSON"}';
    return;
}
fwrite($out, "accepted $id $event\n");
echo '{"ok":true}';
