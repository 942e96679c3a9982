// Package payloads defines the JSON bodies Callhooks POSTs for the ten
// trigger events, shaped like CallRail's webhooks so receivers written for
// CallRail work unchanged; it also holds the plan rules that trim a body and
// realistic samples for test sends and docs.
package payloads
