package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/callhooks/callhooks/models"
)

// notInOpenAPI are routes that are not part of the described API: the
// Prometheus scrape, the description itself and the embedded web UI.
var notInOpenAPI = []string{"GET /metrics", "GET /openapi.yaml", "GET /openapi.json"}

// notInOpenAPIPrefixes are route prefixes left out the same way.
var notInOpenAPIPrefixes = []string{"/ui/"}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	return doc
}

func asMap(t *testing.T, v any, where string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want a mapping", where, v)
	}
	return m
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// Every route gin serves is described, and every described operation is
// served: adding a route without describing it, or describing one that
// does not exist, fails here.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	served := map[string]bool{}
	for _, r := range New(Deps{}).Engine().Routes() {
		op := r.Method + " " + ginParam.ReplaceAllString(r.Path, "{$1}")
		if slices.Contains(notInOpenAPI, op) || slices.ContainsFunc(notInOpenAPIPrefixes, func(p string) bool {
			return strings.HasPrefix(r.Path, p) || r.Path == strings.TrimSuffix(p, "/")
		}) {
			continue
		}
		served[op] = true
	}
	described := map[string]bool{}
	doc := loadOpenAPI(t)
	for path, item := range asMap(t, doc["paths"], "paths") {
		for method := range asMap(t, item, path) {
			if slices.Contains(httpMethods, method) {
				described[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	var undocumented, phantom []string
	for op := range served {
		if !described[op] {
			undocumented = append(undocumented, op)
		}
	}
	for op := range described {
		if !served[op] {
			phantom = append(phantom, op)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(phantom)
	if len(undocumented) > 0 {
		t.Errorf("routes served but not in server/openapi.yaml (describe them, or list them in notInOpenAPI):\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(phantom) > 0 {
		t.Errorf("operations in server/openapi.yaml that the router does not serve:\n  %s", strings.Join(phantom, "\n  "))
	}
	if len(served) < 20 {
		t.Errorf("only %d routes found; is the router listing broken?", len(served))
	}
}

// The document holds together: references resolve, operation ids are
// unique, every operation answers something and path parameters match
// the path templates.
func TestOpenAPIDocumentIsConsistent(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	walkRefs(doc, func(ref string) {
		if _, err := resolveRef(doc, ref); err != nil {
			t.Errorf("$ref %s: %v", ref, err)
		}
	})
	ids := map[string]string{}
	templateParam := regexp.MustCompile(`\{([^}]+)\}`)
	for path, rawItem := range asMap(t, doc["paths"], "paths") {
		item := asMap(t, rawItem, path)
		inPath := map[string]bool{}
		for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
			inPath[m[1]] = true
		}
		pathLevel := pathParams(t, doc, item["parameters"])
		for _, method := range httpMethods {
			rawOp, ok := item[method]
			if !ok {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			op := asMap(t, rawOp, where)
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := ids[id]; dup {
				t.Errorf("operationId %s used by %s and %s", id, other, where)
			}
			ids[id] = where
			if rs, _ := op["responses"].(map[string]any); len(rs) == 0 {
				t.Errorf("%s has no responses", where)
			}
			declared := pathParams(t, doc, op["parameters"])
			for name := range pathLevel {
				declared[name] = true
			}
			for name := range inPath {
				if !declared[name] {
					t.Errorf("%s: path parameter {%s} is not declared", where, name)
				}
			}
			for name := range declared {
				if !inPath[name] {
					t.Errorf("%s declares path parameter %s that the path lacks", where, name)
				}
			}
		}
	}
}

// pathParams names the in: path parameters of a parameters list.
func pathParams(t *testing.T, doc map[string]any, raw any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	list, _ := raw.([]any)
	for _, p := range list {
		pm := asMap(t, p, "parameter")
		if ref, ok := pm["$ref"].(string); ok {
			r, err := resolveRef(doc, ref)
			if err != nil {
				continue // reported by the $ref check
			}
			pm = asMap(t, r, ref)
		}
		if pm["in"] == "path" {
			out[pm["name"].(string)] = true
			if pm["required"] != true {
				t.Errorf("path parameter %v must be required", pm["name"])
			}
		}
	}
	return out
}

func walkRefs(v any, fn func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == "$ref" {
				fn(s)
				continue
			}
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range t {
			walkRefs(e, fn)
		}
	}
}

func resolveRef(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("only local references are used here")
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is not a mapping", part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("no %q", part)
		}
	}
	return cur, nil
}

// schemaTypes maps each component schema to the wire type it describes,
// so a field added to a DTO without describing it fails here.
var schemaTypes = map[string]any{
	"Error": errorResponse{}, "ErrorBody": errorBody{}, "ErrorDetail": errorDetail{},
	"Readiness":           readinessJSON{},
	"CreateAPIKeyRequest": createAPIKeyRequest{}, "APIKey": apiKeyJSON{}, "NewAPIKey": newAPIKeyJSON{},
	"APIKeyList":        listJSON[apiKeyJSON]{},
	"CreateUserRequest": createUserRequest{}, "UpdateUserRequest": updateUserRequest{}, "User": userJSON{},
	"NewUser": newUserJSON{}, "RemovedUser": removedUserJSON{}, "UserList": listJSON[userJSON]{},
	"AuditActor": auditActorJSON{}, "AuditEvent": auditEventJSON{}, "AuditEventPage": auditPageJSON{},
	"Plans": plansJSON{}, "PlansPatch": plansPatchJSON{},
	"CreateCompanyRequest": createCompanyRequest{}, "UpdateCompanyRequest": updateCompanyRequest{},
	"Company": companyJSON{}, "CompanyWithKey": companyWithKeyJSON{}, "CompanyList": listJSON[companyJSON]{},
	"SubscriptionRequest": subscriptionRequest{}, "UpdateSubscriptionRequest": updateSubscriptionRequest{},
	"BulkSubscriptionsRequest": bulkSubscriptionsRequest{}, "Subscription": subscriptionJSON{},
	"SubscriptionList": listJSON[subscriptionJSON]{}, "SubscriptionPage": subscriptionPageJSON{},
	"EventRequest": eventRequest{}, "EventAccepted": eventAcceptedJSON{},
	"Delivery": deliveryJSON{}, "DeliveryDetail": deliveryDetailJSON{}, "Attempt": attemptJSON{},
	"DeliveryPage": deliveryPageJSON{}, "RetryRequest": retryRequest{}, "RetryAccepted": retryAcceptedJSON{},
	"BulkRetryRequest": bulkRetryRequest{}, "BulkRetryResult": bulkRetryJSON{}, "RetryError": retryErrorJSON{},
}

// schemasWithoutStruct are described by other checks below (enums, the
// webhooks view) or have no Go struct.
var schemasWithoutStruct = []string{"Health", "EventKey", "DeliveryStatus", "Webhooks", "URLList", "Role", "Scope"}

// Each described body has exactly the fields of its Go type, with matching
// JSON types; enums list exactly the values the code accepts.
func TestOpenAPISchemasMatchWireTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	schemas := asMap(t, asMap(t, doc["components"], "components")["schemas"], "components.schemas")
	for name := range schemas {
		if _, ok := schemaTypes[name]; !ok && !slices.Contains(schemasWithoutStruct, name) {
			t.Errorf("schema %s is mapped to no Go type in schemaTypes", name)
		}
	}
	for name, v := range schemaTypes {
		t.Run(name, func(t *testing.T) {
			raw, ok := schemas[name]
			if !ok {
				t.Fatalf("no components.schemas.%s", name)
			}
			props := schemaProperties(t, doc, raw)
			fields := jsonFields(reflect.TypeOf(v))
			for f, goType := range fields {
				p, ok := props[f]
				if !ok {
					t.Errorf("field %q (%s) is not described", f, goType)
					continue
				}
				want := jsonType(goType)
				if got := schemaType(t, doc, p); want != "" && got != "" && got != want {
					t.Errorf("field %q is %s in Go (%s) but %s in the schema", f, want, goType, got)
				}
			}
			for p := range props {
				if _, ok := fields[p]; !ok {
					t.Errorf("described property %q is not a field of %T", p, v)
				}
			}
		})
	}

	var events []string
	for _, e := range models.AllEvents {
		events = append(events, string(e))
	}
	checkEnum(t, schemas, "EventKey", events)
	var roles, scopes []string
	for _, r := range models.AllRoles {
		roles = append(roles, string(r))
	}
	for _, sc := range models.AllScopes {
		scopes = append(scopes, string(sc))
	}
	checkEnum(t, schemas, "Role", roles)
	checkEnum(t, schemas, "Scope", scopes)
	checkEnum(t, schemas, "DeliveryStatus", []string{string(models.DeliveryPending), string(models.DeliverySucceeded),
		string(models.DeliveryFailed), string(models.DeliverySkipped)})
	webhookKeys := keys(schemaProperties(t, doc, schemas["Webhooks"]))
	if !slices.Equal(webhookKeys, sorted(events)) {
		t.Errorf("Webhooks lists %v, want the ten event keys %v", webhookKeys, sorted(events))
	}
}

func checkEnum(t *testing.T, schemas map[string]any, name string, want []string) {
	t.Helper()
	var got []string
	for _, v := range asMap(t, schemas[name], name)["enum"].([]any) {
		got = append(got, fmt.Sprint(v))
	}
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("%s enum is %v, want %v", name, got, want)
	}
}

// schemaProperties collects a schema's properties, following $ref and allOf.
func schemaProperties(t *testing.T, doc map[string]any, raw any) map[string]any {
	t.Helper()
	s := asMap(t, deref(t, doc, raw), "schema")
	out := map[string]any{}
	if ps, ok := s["properties"].(map[string]any); ok {
		for k, v := range ps {
			out[k] = v
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, part := range all {
			for k, v := range schemaProperties(t, doc, part) {
				out[k] = v
			}
		}
	}
	return out
}

func deref(t *testing.T, doc map[string]any, raw any) any {
	t.Helper()
	for {
		m, ok := raw.(map[string]any)
		if !ok {
			return raw
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return raw
		}
		next, err := resolveRef(doc, ref)
		if err != nil {
			t.Fatalf("$ref %s: %v", ref, err)
		}
		raw = next
	}
}

// schemaType is a property's JSON type without "null"; "" when untyped.
func schemaType(t *testing.T, doc map[string]any, raw any) string {
	t.Helper()
	s := asMap(t, deref(t, doc, raw), "property")
	switch ty := s["type"].(type) {
	case string:
		return ty
	case []any:
		for _, e := range ty {
			if e != "null" {
				return fmt.Sprint(e)
			}
		}
	}
	if _, ok := s["allOf"]; ok {
		return "object"
	}
	return ""
}

// jsonFields lists a struct's JSON field names as encoding/json sees them:
// embedded structs are flattened and a shallower field wins.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	depthOf := map[string]int{}
	var walk func(reflect.Type, int)
	walk = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, depth+1)
				continue
			}
			if name == "" {
				name = f.Name
			}
			if d, seen := depthOf[name]; !seen || depth < d {
				out[name], depthOf[name] = f.Type, depth
			}
		}
	}
	walk(t, 0)
	return out
}

// jsonType is the JSON Schema type encoding/json produces for t; "" when
// any value is possible.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeOf(time.Time{}):
		return "string"
	case reflect.TypeOf(json.RawMessage{}):
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return ""
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// The API serves its own description as YAML and as the same document in JSON.
func TestOpenAPIIsServed(t *testing.T) {
	h := New(Deps{}).Handler()
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	y := get("/openapi.yaml")
	if y.Code != http.StatusOK || !strings.HasPrefix(y.Header().Get("Content-Type"), "application/yaml") {
		t.Fatalf("/openapi.yaml: %d %s", y.Code, y.Header().Get("Content-Type"))
	}
	j := get("/openapi.json")
	if j.Code != http.StatusOK || !strings.HasPrefix(j.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("/openapi.json: %d %s", j.Code, j.Header().Get("Content-Type"))
	}
	var fromJSON map[string]any
	if err := json.Unmarshal(j.Body.Bytes(), &fromJSON); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	fromYAML := loadOpenAPI(t)
	viaJSON, _ := json.Marshal(jsonable(fromYAML))
	var want map[string]any
	_ = json.Unmarshal(viaJSON, &want)
	if !reflect.DeepEqual(fromJSON, want) {
		t.Error("/openapi.json is not the same document as /openapi.yaml")
	}
	if paths, _ := fromJSON["paths"].(map[string]any); len(paths) < 10 {
		t.Errorf("/openapi.json has %d paths", len(paths))
	}
}
