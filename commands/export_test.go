package commands

// ReadOnly is readOnly, for the tests of package commands_test.
var ReadOnly = readOnly
