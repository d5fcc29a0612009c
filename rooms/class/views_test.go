package class

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// What is on offer is for everyone: its choices event goes to every
// device, so every view has it too, the coach's and the projector's
// included; a student's pick stays the teachers'.
func TestChoicesOnOfferInEveryView(t *testing.T) {
	const group = protocol.GroupID("4d564d46-2d00-482b-a847-ee1850bca1ac")
	var l log
	l.add(protocol.EvStudentJoined, protocol.ToStudent(olivia), protocol.StudentJoined{Student: olivia, Name: "Olivia"})
	l.add(protocol.EvGroup, protocol.ToAll, protocol.GroupChanged{Group: protocol.Group{ID: group, Name: "Otters", Members: []protocol.Member{{ID: olivia, Name: "Olivia"}}}})
	l.add(protocol.EvChoices, protocol.ToAll, protocol.Choices{Prompt: "Which passage?", Options: []string{"Volcanoes", "Space"}})
	l.add(protocol.EvChoice, protocol.ToStudent(olivia), protocol.Choice{Student: olivia, Option: func() *string { s := "Space"; return &s }()})
	s := fold(t, New(room), l.evs)
	for _, role := range []protocol.Role{protocol.RoleTeacher, protocol.RoleStudent, protocol.RoleCoach, protocol.RoleProjector} {
		b, err := json.Marshal(s.View(protocol.Viewer{Role: role, Student: olivia, Groups: []protocol.GroupID{group}}))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"choices":{"prompt":"Which passage?","options":["Volcanoes","Space"]}`) {
			t.Errorf("the %s's view has not the choices on offer: %s", role, b)
		}
		if picked := strings.Contains(string(b), `"choice":"Space"`); picked != (role == protocol.RoleTeacher || role == protocol.RoleStudent) {
			t.Errorf("the %s's view shows Olivia's pick: %v: %s", role, picked, b)
		}
	}
}
