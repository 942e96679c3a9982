package models

// MigrationCount is how many migrations Migrate runs on an empty database.
func MigrationCount() int { return len(migrations()) }
