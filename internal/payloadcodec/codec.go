// Package payloadcodec encrypts what Callhooks hands to Temporal: workflow
// and activity inputs and results, signals, markers and failure messages.
// Those carry webhook bodies, i.e. the callers' names and numbers, and the
// Temporal server stores them in its histories (in Temporal Cloud: outside
// your infrastructure). With CALLHOOKS_ENCRYPT_PAYLOADS on, every payload is
// sealed with AES-256-GCM in the client before it leaves the process, under
// a key derived from CALLHOOKS_SECRET_KEYS. Search attributes stay readable
// (they hold ids, not call data), so the UI can still find deliveries; to
// read payloads in the UI, run `callhooks codec-server` and point the UI's
// codec endpoint at it.
package payloadcodec

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/callhooks/callhooks/internal/masterkeys"
)

// Metadata of an encrypted payload.
const (
	// Encoding marks a payload this codec sealed; others pass through.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that sealed it.
	MetadataKeyID = "encryption-key-id"
	// derivationInfo separates these keys from every other use of the
	// master keys.
	derivationInfo = "callhooks temporal payloads v1"
)

// Codec is a converter.PayloadCodec. The first master key seals; every key
// opens, so the master key rotates without making old histories unreadable.
type Codec struct{ ring *masterkeys.Ring }

var _ converter.PayloadCodec = (*Codec)(nil)

// New derives the payload keys from base64-encoded 32-byte master keys.
func New(masterKeys []string) (*Codec, error) {
	ring, err := masterkeys.New(masterKeys, derivationInfo)
	if err != nil {
		return nil, err
	}
	return &Codec{ring: ring}, nil
}

// Encode seals each payload, metadata and all.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.ring.Seal()
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(c.ring.SealID)},
			Data:     aead.Seal(nonce, nonce, plain, nil),
		}
	}
	return out, nil
}

// Decode opens payloads this codec sealed and returns every other payload
// unchanged, so histories written before encryption was turned on still
// replay.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead := c.ring.ByID[id]
		if aead == nil {
			return nil, fmt.Errorf("payload sealed with key %q, which CALLHOOKS_SECRET_KEYS does not hold", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("encrypted payload too short")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], nil)
		if err != nil {
			return nil, fmt.Errorf("open payload: %w", err)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("open payload: %w", err)
		}
		out[i] = &decoded
	}
	return out, nil
}

// DataConverter is Converter with c applied to every payload (nil: none).
func DataConverter(c *Codec) converter.DataConverter {
	if c == nil {
		return Converter()
	}
	return converter.NewCodecDataConverter(Converter(), c)
}

// FailureConverter also moves failure messages and stack traces into
// encrypted payloads: an attempt's error can quote the receiver's answer.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Handler serves Temporal's remote codec protocol (POST .../encode and
// .../decode), for the Web UI and `temporal --codec-endpoint`. It answers
// browsers from allowedOrigins only. It decrypts anything it is sent:
// expose it to operators only.
func Handler(c *Codec, allowedOrigins []string) http.Handler {
	h := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			if !slices.Contains(allowedOrigins, origin) {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type,X-Namespace,Authorization")
			w.Header().Set("Access-Control-Allow-Methods", "POST,OPTIONS")
			w.Header().Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
