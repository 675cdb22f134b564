package storage

import "testing"

func opOfGeneric[T any]() string { return storeOp(0) }

func (s *Store) opOfMethodClosure() string {
	f := func() string { return storeOp(0) }
	return f()
}

// The op label is the bare function name, whatever Go calls the frame.
func TestStoreOpNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{opOfGeneric[int](), "opOfGeneric"},
		{(&Store{}).opOfMethodClosure(), "opOfMethodClosure"},
		{func() string { return storeOp(0) }(), "TestStoreOpNames"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("storeOp = %q, want %q", tc.got, tc.want)
		}
	}
}
