package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

// openAPIYAML describes the whole HTTP API; openapi_test.go fails when it
// and the router disagree, so it is kept with the routes, not after them.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPI returns the API description as OpenAPI 3 YAML.
func OpenAPI() []byte { return openAPIYAML }

// openAPIJSON is the same document as JSON, converted once on first use.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	return json.MarshalIndent(jsonable(doc), "", "  ")
})

func serveOpenAPIYAML(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPIYAML)
}

func serveOpenAPIJSON(c *gin.Context) {
	raw, err := openAPIJSON()
	if err != nil {
		writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", raw)
}

// jsonable turns YAML's map[any]any (non-string keys such as 200) into
// string-keyed maps that encoding/json accepts.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
		return t
	}
	return v
}
