package class

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// A class with no flag shows teachers and coaches an empty help queue,
// "flags":[], as PROTOCOL.md shows it, never null: a console iterates it.
func TestEmptyHelpQueueIsAList(t *testing.T) {
	s := New(room)
	for _, v := range []protocol.Viewer{{Role: protocol.RoleTeacher}, {Role: protocol.RoleCoach, Groups: []protocol.GroupID{"g"}}} {
		b, err := json.Marshal(s.View(v))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"flags":[]`) {
			t.Errorf("the %s's view of a class without flags: %s", v.Role, b)
		}
	}
}
