// Package models holds Callhooks' persistent data: GORM models, the queries
// the API and the delivery code run, and the versioned schema migrations.
// It knows nothing of HTTP or Temporal.
package models
