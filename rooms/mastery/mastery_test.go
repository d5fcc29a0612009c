package mastery

import (
	"math"
	"strings"
	"testing"
)

// near reports whether got rounds to want at 4 decimals.
func near(got, want float64) bool { return math.Abs(got-want) < 5e-5 }

func TestUpdateSequences(t *testing.T) {
	// Each want is worked out by hand from the formulas; the comments show
	// the steps for the first ones.
	tests := []struct {
		name string
		p    Params
		seq  []bool
		want []float64
	}{
		{
			// post = .25·.9/(.225+.75·.2) = .6; .6 + .4·.2 = .68
			// post = .612/.676 = 153/169; 153/169 + (16/169)·.2 = 156.2/169 = .924260…
			// post = .831834/.846982 = .982116…; + .017884·.2 = .985692…
			name: "defaults, three correct",
			p:    Default, seq: []bool{true, true, true},
			want: []float64{0.68, 0.9243, 0.9857},
		},
		{
			// post = .025/(.025+.75·.8) = .04; .04 + .96·.2 = .232
			// post = .0232/(.0232+.768·.8) = .036386…; + .963614·.2 = .229109…
			// post = .0229109/(.0229109+.770891·.8) = .035819…; → .228655…
			name: "defaults, three wrong",
			p:    Default, seq: []bool{false, false, false},
			want: []float64{0.232, 0.2291, 0.2287},
		},
		{
			// .68; post = .068/(.068+.32·.8) = .068/.324 = .209877…; + .790123·.2 = .367901…
			name: "defaults, right wrong right",
			p:    Default, seq: []bool{true, false, true},
			want: []float64{0.68, 0.3679, 0.7790},
		},
		{
			name: "defaults, wrong right right",
			p:    Default, seq: []bool{false, true, true},
			want: []float64{0.232, 0.6609, 0.9181},
		},
		{
			// A slip after two right answers costs most of the gain.
			name: "defaults, right right wrong",
			p:    Default, seq: []bool{true, true, false},
			want: []float64{0.68, 0.9243, 0.6832},
		},
		{
			// post = .1·.95/(.095+.9·.25) = .095/.32 = .296875; + .703125·.3 = .5078125
			name: "per-skill parameters",
			p:    Params{L0: 0.1, T: 0.3, G: 0.25, S: 0.05, Mastered: 0.9},
			seq:  []bool{true, false, true, true},
			want: []float64{0.5078, 0.3450, 0.7668, 0.9481},
		},
		{
			// With no learning a wrong answer only lowers the estimate:
			// post = .5·.2/(.1+.5·.7) = .1/.45 = .2222…
			name: "no learning",
			p:    Params{L0: 0.5, T: 0, G: 0.3, S: 0.2, Mastered: 0.95},
			seq:  []bool{false, true},
			// post = .2222·.8/(.17778+.77778·.3) = .17778/.41111 = .43243…
			want: []float64{0.2222, 0.4324},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); err != nil {
				t.Fatal(err)
			}
			p := tt.p.L0
			for i, c := range tt.seq {
				p = tt.p.Update(p, c)
				if !near(p, tt.want[i]) {
					t.Errorf("after answer %d (%v): got %.6f, want %.4f", i+1, c, p, tt.want[i])
				}
			}
		})
	}
}

func TestDefaultsExact(t *testing.T) {
	// The second step in closed form, to more places than the table checks.
	got := Default.Update(Default.Update(0.25, true), true)
	if want := 156.2 / 169; math.Abs(got-want) > 1e-12 {
		t.Errorf("got %.12f, want %.12f", got, want)
	}
}

func TestIsMastered(t *testing.T) {
	p := Default
	tests := []struct {
		pL   float64
		want bool
	}{{0.94999, false}, {0.95, true}, {0.99, true}, {0.25, false}}
	for _, tt := range tests {
		if got := p.IsMastered(tt.pL); got != tt.want {
			t.Errorf("IsMastered(%v) = %v, want %v", tt.pL, got, tt.want)
		}
	}
	// Three right answers from the prior reach mastery; two do not.
	pL := p.L0
	for i := range 3 {
		pL = p.Update(pL, true)
		if got, want := p.IsMastered(pL), i == 2; got != want {
			t.Errorf("after %d right: mastered = %v, want %v", i+1, got, want)
		}
	}
}

func TestPCorrect(t *testing.T) {
	tests := []struct{ pL, want float64 }{
		{0, 0.2}, {1, 0.9}, {0.25, 0.25*0.9 + 0.75*0.2},
	}
	for _, tt := range tests {
		if got := Default.PCorrect(tt.pL); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("PCorrect(%v) = %v, want %v", tt.pL, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want string // a part of the error; "" for none
	}{
		{"defaults", Default, ""},
		{"no learning", Params{L0: 0.5, T: 0, G: 0.2, S: 0.1, Mastered: 0.95}, ""},
		{"mastered at 1", Params{L0: 0.5, T: 0.1, G: 0.2, S: 0.1, Mastered: 1}, ""},
		{"L0 zero", Params{L0: 0, T: 0.1, G: 0.2, S: 0.1, Mastered: 0.95}, "L0"},
		{"L0 one", Params{L0: 1, T: 0.1, G: 0.2, S: 0.1, Mastered: 0.95}, "L0"},
		{"T one", Params{L0: 0.5, T: 1, G: 0.2, S: 0.1, Mastered: 0.95}, "T ="},
		{"T negative", Params{L0: 0.5, T: -0.1, G: 0.2, S: 0.1, Mastered: 0.95}, "T ="},
		{"G zero", Params{L0: 0.5, T: 0.1, G: 0, S: 0.1, Mastered: 0.95}, "G ="},
		{"S zero", Params{L0: 0.5, T: 0.1, G: 0.2, S: 0, Mastered: 0.95}, "S ="},
		{"S NaN", Params{L0: 0.5, T: 0.1, G: 0.2, S: math.NaN(), Mastered: 0.95}, "S ="},
		{"mastered zero", Params{L0: 0.5, T: 0.1, G: 0.2, S: 0.1, Mastered: 0}, "Mastered"},
		{"degenerate", Params{L0: 0.5, T: 0.1, G: 0.6, S: 0.4, Mastered: 0.95}, "G + S"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestUpdateOddInput(t *testing.T) {
	p := Default
	tests := []struct {
		name    string
		pL      float64
		correct bool
		want    float64
	}{
		{"NaN is the prior", math.NaN(), true, 0.68},
		{"below zero is zero", -3, true, 0.2},
		{"zero stays unknown but can learn", 0, false, 0.2},
		{"above one is one", 7, false, Ceil},
		{"one stays known", 1, true, Ceil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Update(tt.pL, tt.correct); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Update(%v, %v) = %v, want %v", tt.pL, tt.correct, got, tt.want)
			}
		})
	}
}

func TestLongRunStaysOpen(t *testing.T) {
	// Without the bounds, about twenty right answers round P(L) to 1.
	pL := Default.L0
	for range 200 {
		pL = Default.Update(pL, true)
	}
	if pL >= 1 || pL != Ceil {
		t.Fatalf("after 200 right answers P = %v, want Ceil", pL)
	}
	if next := Default.Update(pL, false); next >= pL {
		t.Errorf("a slip at the ceiling left P at %v", next)
	}
}

func BenchmarkUpdate(b *testing.B) {
	p := Default
	pL := p.L0
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		pL = p.Update(pL, i%3 != 0)
		i++
	}
	if pL <= 0 {
		b.Fatal(pL)
	}
}
