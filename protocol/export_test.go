package protocol

// TruncateReason exposes truncateReason to the tests.
var TruncateReason = truncateReason
