package payloads

import "testing"

func TestFormatters(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"nanp phone", formatPhone("+12148654559"), "214-865-4559"},
		{"blank phone", formatPhone(""), ""},
		{"foreign phone kept", formatPhone("+442071838750"), "+442071838750"},
		{"seconds", formatDuration("voicemail", "13"), "13s"},
		{"minutes", formatDuration("answered", "179"), "2m 59s"},
		{"hours", formatDuration("answered", "3723"), "1h 2m 3s"},
		{"not yet answered", formatDuration("missed", "0"), "0s"},
		{"abandoned", formatDuration("abandoned", "15"), "(abandoned)"},
		{"no value", formatValue(""), "--"},
		{"value", formatValue("1450"), "$1,450.00"},
		{"value with dollar", formatValue("$1.5"), "$1.50"},
		{"big value", formatValue("1234567.891"), "$1,234,567.89"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
