package pages

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync"
	"testing"
)

// The renderer is built once per test binary: parsing a 6 MB font per test
// would dominate the run time.
var (
	testRendererOnce sync.Once
	testRenderer     *Renderer
	testRendererErr  error
)

func renderer(tb testing.TB) *Renderer {
	tb.Helper()
	testRendererOnce.Do(func() {
		ttf, err := os.ReadFile("../../testdata/fonts/ipag.ttf")
		if err != nil {
			testRendererErr = err
			return
		}
		testRenderer, testRendererErr = NewRenderer(ttf)
	})
	if testRendererErr != nil {
		tb.Fatal(testRendererErr)
	}
	return testRenderer
}

// qrText is a realistic page text: KOFU1|tid(16 B)|binding(32 B)|subject(32 B)|n/total.
const qrText = "KOFU1|q3Zx9-Hb2mLk_Pq0RsT7wA|mZ0Jc8hY2xW_4kLpNq7rT1sVb3nD9fG6hJ-aE5uIo0c|Xb7-Kp2Lm9Nq4Rs6Tu8Vw1Yz3Ac5Ef7Gh9Ij_Kl0Mn2o|2/3"

func sampleSpec(dpi int) Spec {
	return Spec{
		DPI:    dpi,
		Title:  "住民票の写し",
		Issuer: "神奈川県横浜市長　横浜　太郎",
		Serial: "YK-2024-00012345",
		AsOf:   "2024-05-01T09:30:00+09:00",
		Rows: []Row{
			{"氏名", "交付　花子"},
			{"氏名の振り仮名", "コウフ　ハナコ"},
			{"生年月日", "昭和６０年４月１日"},
			{"性別", "女"},
			{"続柄", "世帯主"},
			{"住所", "神奈川県横浜市中区港町一丁目１番地の１　コンビニ交付マンション１０１号室"},
			{"住民となった日", "平成２０年４月１日"},
			{"本籍", "東京都千代田区千代田一丁目１番"},
			{"筆頭者", "交付　花子"},
			{"前住所", "東京都千代田区千代田一丁目１番１号（平成２０年３月３１日転出）"},
		},
		Notes: []string{
			"この写しは、住民票の原本と相違ないことを証明する。",
			"令和６年５月１日",
		},
		N: 2, Total: 3,
		QRText: qrText,
	}
}

// chunk is a parsed view of one PNG chunk, used by tests to build hostile
// files from real ones.
type chunk struct {
	typ  string
	data []byte
}

// splitChunks splits a PNG (after its signature) into chunks without any
// checking beyond bounds; ok is false when the structure is broken.
func splitChunks(b []byte) (cs []chunk, ok bool) {
	if len(b) < len(pngSignature) {
		return nil, false
	}
	b = b[len(pngSignature):]
	for len(b) > 0 {
		if len(b) < chunkOverhead {
			return cs, false
		}
		n := binary.BigEndian.Uint32(b)
		if int64(n) > int64(len(b)-chunkOverhead) {
			return cs, false
		}
		cs = append(cs, chunk{string(b[4:8]), b[8 : 8+n]})
		b = b[chunkOverhead+n:]
	}
	return cs, true
}

// joinChunks assembles a PNG from chunks, computing every CRC.
func joinChunks(cs []chunk) []byte {
	var buf bytes.Buffer
	buf.WriteString(pngSignature)
	out := buf.Bytes()
	for _, c := range cs {
		out = appendChunk(out, c.typ, c.data)
	}
	return out
}
