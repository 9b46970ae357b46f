package config

import (
	"os"
	"testing"

	"kofu/internal/fuzzcorpus"
)

// TestWriteFuzzCorpus writes the committed corpora of the configuration
// fuzz targets: the example configuration and its variants (each section
// left out, values a technician might get wrong), and the example
// municipality list with broken copies.
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	cfg, strict := fuzzcorpus.New("FuzzParse"), fuzzcorpus.New("FuzzParseConfig")
	for name, s := range exampleConfigs(t) {
		cfg.Add(name, s)
		strict.Add(name, s)
	}
	munis := fuzzcorpus.New("FuzzParseMunicipalities")
	b, err := os.ReadFile("municipalities.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	ex := string(b)
	munis.Add("example", ex)
	munis.Add("example-twice", ex+ex)
	munis.Add("cut", ex[:len(ex)/2])
	munis.Add("negative-fee", "[[municipality]]\ncode = \"141003\"\nname = \"横浜市\"\nfees = { juminhyo = -300 }\n")
	munis.Add("unknown-document", "[[municipality]]\ncode = \"141003\"\nname = \"横浜市\"\nfees = { passport = 300 }\n")
	munis.Add("five-digit-code", "[[municipality]]\ncode = \"14100\"\nname = \"横浜市\"\n")
	for _, c := range []*fuzzcorpus.Corpus{cfg, strict, munis} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}
