package deliverylog

// SetAfterBatch makes l's Failing call fn with its scan consumer's name
// after each batch it reads.
func SetAfterBatch(l *Log, fn func(consumer string)) { l.afterBatch = fn }
