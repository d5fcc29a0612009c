package detect

import "testing"

func TestSimulatedClass(t *testing.T) {
	sum := Study(DefaultSimConfig(), DefaultThresholds(), 50)
	t.Logf("\n%s", sum.Table())
}
