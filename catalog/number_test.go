package catalog

import (
	"math"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestNumbersDecodeAsYAMLDoes: the direct parsing of plain decimals gives
// what yaml.v3 gives for every kind of number YAML can write (the decoder
// decodes only scalars tagged !!int, or !!int and !!float, as numbers).
func TestNumbersDecodeAsYAMLDoes(t *testing.T) {
	values := []string{
		"0", "7", "-7", "42", "007", "0755", "-0", "1_000", "0x1F", "0o17", "0b101",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999",
		"1.5", "-0.25", "99.9", "0.0", "1.", ".5", "1e3", "1.5E-2", "+3", "+1.5", ".inf", "-.inf", ".nan",
		"12345678901234567890.5", "3.14159265358979323846", "-0.0", "!!int 12", "!!float 3", "!!float -0",
		"!!int 1.5", "!!float 1.5", "!!int -0",
	}
	for _, v := range values {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(v), &doc); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		n := doc.Content[0]
		tag := n.ShortTag()
		if tag != "!!int" && tag != "!!float" {
			t.Fatalf("%s is tagged %s", v, tag)
		}
		var wantI, gotI int64
		wantErr := n.Decode(&wantI) != nil
		gotOK := tag == "!!int" && decodeInt(n, &gotI)
		if tag == "!!int" && (gotOK == wantErr || gotI != wantI) {
			t.Errorf("int %s: got %d (ok %v), yaml.v3 %d (error %v)", v, gotI, gotOK, wantI, wantErr)
		}
		var wantF, gotF float64
		wantErr = n.Decode(&wantF) != nil
		gotOK = decodeFloat(n, &gotF)
		same := gotF == wantF || math.IsNaN(gotF) && math.IsNaN(wantF)
		if gotOK == wantErr || !same || math.Signbit(gotF) != math.Signbit(wantF) {
			t.Errorf("float %s: got %v (ok %v), yaml.v3 %v (error %v)", v, gotF, gotOK, wantF, wantErr)
		}
	}
}
