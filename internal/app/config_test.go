package app

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// Every environment variable Config reads is in the README's configuration
// table, so the reference cannot fall behind the code.
func TestREADMEListsEveryEnvironmentVariable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		name := strings.Split(typ.Field(i).Tag.Get("env"), ",")[0]
		if name == "" {
			continue
		}
		if !strings.Contains(readme, "| `"+name+"` |") {
			t.Errorf("README's configuration table lacks %s (field %s)", name, typ.Field(i).Name)
		}
	}
}
