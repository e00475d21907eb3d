package deliverylog

import "time"

// SetMigrationLockTimeout sets how long migrations wait for a lock until
// the test ends.
func SetMigrationLockTimeout(t interface{ Cleanup(func()) }, d time.Duration) {
	old := migrationLockTimeout
	migrationLockTimeout = d
	t.Cleanup(func() { migrationLockTimeout = old })
}

// SetAfterBatch makes l's Failing call fn with its scan consumer's name
// after each batch it reads.
func SetAfterBatch(l *Log, fn func(consumer string)) { l.afterBatch = fn }
