// Package domain holds Callhooks' vocabulary: the event keys, the plans
// that unlock some of them, and what a delivery attempt takes and gives
// back. The API, the payload builders, the workflows and the activities
// all speak it, and it imports only the standard library (neither GORM
// nor Temporal), so a package that needs the words need not link the
// database or the workflow engine. Its structs travel in workflow
// histories: fields may be added, never renamed, removed or retyped.
package domain
