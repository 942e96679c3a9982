package payloadcodec_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/callhooks/callhooks/internal/payloadcodec"
)

func masterKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

const body = `{"customer_name":"Kaylah Mills","customer_phone_number":"+14045551234"}`

// Values go through the data converter sealed (nothing of the body is left
// readable) and come back equal; payloads stored before encryption pass
// through; a new master key put first still opens the old ones; a key that
// sealed none of them opens nothing.
func TestCodecRoundTripPassThroughAndRotation(t *testing.T) {
	k1, k2 := masterKey(t), masterKey(t)
	c1, err := payloadcodec.New([]string{k1})
	if err != nil {
		t.Fatal(err)
	}
	dc := payloadcodec.DataConverter(c1)
	p, err := dc.ToPayload(body)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("Kaylah")) || bytes.Contains(p.Data, []byte("4045551234")) ||
		string(p.Metadata[converter.MetadataEncoding]) != payloadcodec.Encoding {
		t.Fatalf("sealed payload: %q %q", p.Metadata, p.Data)
	}
	var got string
	if err := dc.FromPayload(p, &got); err != nil || got != body {
		t.Fatalf("round trip: %q, %v", got, err)
	}

	plain, _ := converter.GetDefaultDataConverter().ToPayload(body)
	if err := dc.FromPayload(plain, &got); err != nil || got != body {
		t.Fatalf("an unencrypted payload from before: %q, %v", got, err)
	}

	c21, _ := payloadcodec.New([]string{k2, k1})
	if err := payloadcodec.DataConverter(c21).FromPayload(p, &got); err != nil || got != body {
		t.Fatalf("after putting a new master key first: %q, %v", got, err)
	}
	c2, _ := payloadcodec.New([]string{k2})
	if err := payloadcodec.DataConverter(c2).FromPayload(p, &got); err == nil {
		t.Fatal("a key that sealed nothing opened the payload")
	}
	p.Data[len(p.Data)-1] ^= 1
	if err := dc.FromPayload(p, &got); err == nil {
		t.Fatal("a tampered payload opened")
	}
	if _, err := payloadcodec.New(nil); err == nil {
		t.Fatal("New accepted no keys")
	}
}

// The codec server answers Temporal's remote codec protocol for allowed
// browser origins only.
func TestCodecServer(t *testing.T) {
	c, _ := payloadcodec.New([]string{masterKey(t)})
	sealed, _ := payloadcodec.DataConverter(c).ToPayloads(body)
	srv := httptest.NewServer(payloadcodec.Handler(c, []string{"http://localhost:8233"}))
	defer srv.Close()
	raw, _ := protojson.Marshal(sealed)
	post := func(origin string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res, out
	}
	res, out := post("http://localhost:8233")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8233" {
		t.Fatalf("decode from the UI's origin: %d %v %s", res.StatusCode, res.Header, out)
	}
	var decoded commonpb.Payloads
	if err := protojson.Unmarshal(out, &decoded); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := json.Unmarshal(decoded.Payloads[0].Data, &got); err != nil || got != body {
		t.Fatalf("decoded %q (%v)", decoded.Payloads[0].Data, err)
	}
	if res, _ := post("https://evil.example"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another origin got %d", res.StatusCode)
	}
	if res, out := post(""); res.StatusCode != 200 || !strings.Contains(string(out), "payloads") {
		t.Fatalf("the CLI (no Origin) got %d %s", res.StatusCode, out)
	}
}

// Webhook bodies ride through Temporal as JSON; `<`, `>` and `&` in their
// strings must arrive as the platform wrote them, not as \u003c escapes.
func TestConverterKeepsHTMLCharacters(t *testing.T) {
	body := map[string]string{"note": "<b>Tom & Jerry</b>"}
	p, err := payloadcodec.Converter().ToPayload(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.GetData()); got != `{"note":"<b>Tom & Jerry</b>"}` {
		t.Errorf("payload = %s", got)
	}
	var back map[string]string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &back); err != nil || back["note"] != body["note"] {
		t.Errorf("the SDK's own converter reads it as %v, %v", back, err)
	}
}
