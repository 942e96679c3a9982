package payloadcodec

import (
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/callhooks/callhooks/payloads"
)

// Converter is the SDK's default data converter with one difference: JSON
// is written without HTML escaping. Webhook bodies ride in workflow
// inputs and signals as JSON objects (payloads.Object); the SDK's
// json.Marshal would rewrite `<`, `>` and `&` inside their strings as
// \u003c..., so a receiver would no longer get the platform's bytes. The
// payloads stay plain JSON ("json/plain"): any Temporal client, the Web UI
// and v0.1.0 workers read them as before.
func Converter() converter.DataConverter {
	return converter.NewCompositeDataConverter(
		converter.NewNilPayloadConverter(),
		converter.NewByteSlicePayloadConverter(),
		converter.NewProtoJSONPayloadConverter(),
		converter.NewProtoPayloadConverter(),
		jsonAsWritten{converter.NewJSONPayloadConverter()},
	)
}

// jsonAsWritten is the SDK's JSON payload converter, encoding without
// HTML escaping; decoding is the SDK's.
type jsonAsWritten struct {
	*converter.JSONPayloadConverter
}

// ToPayload encodes value as JSON, leaving `<`, `>` and `&` as they are.
func (c jsonAsWritten) ToPayload(value any) (*commonpb.Payload, error) {
	data, err := payloads.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", converter.ErrUnableToEncode, err)
	}
	return &commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte(c.Encoding())},
		Data:     data,
	}, nil
}
