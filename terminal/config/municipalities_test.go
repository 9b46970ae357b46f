package config

import (
	"strings"
	"testing"
)

func TestParseMunicipalities(t *testing.T) {
	good := `
[[municipality]]
code = "131016"
name = "千代田区"
fees = { juminhyo = 300, inkan = 300 }

[[municipality]]
code = "271004"
name = "大阪市"
koseki_weekdays_only = true
fees = { koseki-zenbu = 450 }
hours = { koseki-zenbu = "08:30-17:15" }
`
	ms, err := ParseMunicipalities(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "千代田区" || ms[0].Fees["inkan"] != 300 || !ms[1].KosekiWeekdaysOnly || ms[1].Hours["koseki-zenbu"] != "08:30-17:15" {
		t.Fatalf("%+v", ms)
	}
	for _, c := range []struct {
		name, in, want string
	}{
		{"empty", ``, "municipality: missing; at least one [[municipality]]"},
		{"unknown key", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\nmayor = \"y\"\n", `municipality.mayor: an unknown key is not allowed`},
		{"bad code", "[[municipality]]\ncode = \"13101\"\nname = \"x\"\n", `municipality[0].code: "13101" is not allowed; 6 digits`},
		{"duplicate", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\n[[municipality]]\ncode = \"131016\"\nname = \"y\"\n", `municipality[1].code: "131016" is not allowed; each code once`},
		{"no name", "[[municipality]]\ncode = \"131016\"\n", `municipality[0].name: "" is not allowed`},
		{"unknown document", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\nfees = { passport = 100 }\n", `municipality[0].fees: "passport" is not allowed`},
		{"negative fee", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\nfees = { juminhyo = -1 }\n", `municipality[0].fees.juminhyo: -1 is not allowed; 0 to 10000 yen`},
		{"check digit", "[[municipality]]\ncode = \"131017\"\nname = \"x\"\n", `municipality[0].code: "131017" is not allowed; 6 digits (the local government code, its check digit last)`},
		{"hours for a document not issued", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\nfees = { juminhyo = 300 }\nhours = { inkan = \"09:00-17:00\" }\n", `municipality[0].hours: "inkan" is not allowed`},
		{"hours backwards", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\nfees = { juminhyo = 300 }\nhours = { juminhyo = \"17:00-09:00\" }\n", `municipality[0].hours.juminhyo: "17:00-09:00" is not allowed`},
		{"hours malformed", "[[municipality]]\ncode = \"131016\"\nname = \"x\"\nfees = { juminhyo = 300 }\nhours = { juminhyo = \"9-5\" }\n", `municipality[0].hours.juminhyo: "9-5" is not allowed`},
		{"wrong type", "[[municipality]]\ncode = 131016\nname = \"x\"\n", `municipality list: `},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseMunicipalities(strings.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := LoadMunicipalities(""); err == nil || !strings.Contains(err.Error(), "ui.municipalities: missing") {
		t.Fatalf("no path: %v", err)
	}
}

// TestMunicipalitiesExample: the shipped example list is valid.
func TestMunicipalitiesExample(t *testing.T) {
	ms, err := LoadMunicipalities("municipalities.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[2].Fees["koseki-zenbu"] != 450 || !ms[2].KosekiWeekdaysOnly || ms[2].Hours["koseki-zenbu"] != "09:00-17:00" {
		t.Fatalf("%+v", ms)
	}
}
