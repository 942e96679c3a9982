package payloads

// legacyFromModern pairs each legacy flat field with the modern field it
// copies, for bodies kept as maps (the call workflow's state).
var legacyFromModern = [][2]string{
	{"callernum", "customer_phone_number"},
	{"trackingnum", "tracking_phone_number"},
	{"destinationnum", "business_phone_number"},
	{"callername", "customer_name"},
	{"callercity", "customer_city"},
	{"callerstate", "customer_state"},
	{"callercountry", "customer_country"},
	{"landingpage", "landing_page_url"},
	{"referrer", "referring_url"},
	{"referrermedium", "medium"},
}

// DeriveLegacyMap is DeriveLegacy for a body held as a map: each legacy
// field is set from its modern field when that is present, so the two never
// disagree; fields with no modern value are left alone. It is deterministic
// (a fixed order, no map iteration), so workflows may call it.
func DeriveLegacyMap(m map[string]any) {
	for _, pair := range legacyFromModern {
		if v, ok := m[pair[1]]; ok {
			m[pair[0]] = v
		}
	}
	if start, ok := m["start_time"].(string); ok {
		m["datetime"] = legacyDatetime(start)
		m["timestamp"] = start
	}
	if src, ok := m["formatted_tracking_source"].(string); ok {
		m["callsource"] = snakeCase(src)
	}
}
