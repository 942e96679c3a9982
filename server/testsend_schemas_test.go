package server

// The UI's endpoints (test send, signing key) register their wire types
// with the OpenAPI drift check here, beside their own tests.
func init() {
	schemaTypes["SigningKey"] = signingKeyJSON{}
	schemaTypes["TestSendRequest"] = testSendRequest{}
	schemaTypes["TestSendResult"] = testSendResultJSON{}
	schemaTypes["TestSendResultList"] = listJSON[testSendResultJSON]{}
}
