package hub

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/jsstore"
	"github.com/classhub/classhub/protocol"
)

// issuer is the "iss" of every token, so that a token of another system
// signed with a shared secret by mistake is still refused.
const issuer = "classhub"

// keyName is the key of the signing key in protocol.BucketConfig.
const keyName = "token_key"

// Claims is what a verified token says.
type Claims struct {
	Role    protocol.Role
	Teacher protocol.TeacherID // teacher tokens
	Student protocol.StudentID // student tokens
	Coach   protocol.CoachID   // coach tokens
	Room    protocol.RoomID    // student and projector tokens: the one class the token is good for
	Name    string             // display name
	Expires time.Time
}

type tokenClaims struct {
	Role    protocol.Role      `json:"role"`
	Teacher protocol.TeacherID `json:"tid,omitempty"`
	Student protocol.StudentID `json:"sid,omitempty"`
	Coach   protocol.CoachID   `json:"cid,omitempty"`
	Room    protocol.RoomID    `json:"room,omitempty"`
	Name    string             `json:"name,omitempty"`
	jwt.RegisteredClaims
}

// LoadOrCreateKey returns the deployment's token signing key, creating it
// on first use. Every node of a deployment reads the same key, so a token
// issued by one node is good on all; two nodes racing to create it end
// with the one that was stored first.
func LoadOrCreateKey(ctx context.Context, js jetstream.JetStream, replicas int) ([]byte, error) {
	// Read through the stream's leader, as the rooms read this bucket
	// too: a node that lost the race to create the key reads the one
	// that won at once, never a replica that has not got it yet.
	kv, err := jsstore.KeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: protocol.BucketConfig, History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	}, true)
	if err != nil {
		return nil, fmt.Errorf("hub: config bucket: %w", err)
	}
	if e, err := kv.Get(ctx, keyName); err == nil {
		return e.Value(), nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("hub: read token key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("hub: new token key: %w", err)
	}
	// Another node may store its key first: every node then uses that one.
	key, err = jsstore.CreateOnce(ctx, kv, keyName, key)
	if err != nil {
		return nil, fmt.Errorf("hub: token key: %w", err)
	}
	return key, nil
}

// Signer issues and verifies tokens (JWT, HS256).
type Signer struct {
	key    []byte
	now    func() time.Time
	parser *jwt.Parser
}

// NewSigner returns a Signer with key. now is the clock (nil: time.Now).
func NewSigner(key []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{
		key: key, now: now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(), // one encoding per token: no look-alike tokens (line ends: Verify)
		),
	}
}

func (s *Signer) issue(c tokenClaims, ttl time.Duration) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(ttl).Truncate(time.Second)
	c.RegisteredClaims = jwt.RegisteredClaims{
		Issuer: issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("hub: sign token: %w", err)
	}
	return tok, exp, nil
}

// IssueTeacher returns a console token for a teacher.
func (s *Signer) IssueTeacher(id protocol.TeacherID, name string, ttl time.Duration) (string, time.Time, error) {
	return s.issue(tokenClaims{Role: protocol.RoleTeacher, Teacher: id, Name: name}, ttl)
}

// IssueCoach returns a token for a coach. It names no class: which
// groups of which class a coach sees is the room's to decide.
func (s *Signer) IssueCoach(id protocol.CoachID, name string, ttl time.Duration) (string, time.Time, error) {
	return s.issue(tokenClaims{Role: protocol.RoleCoach, Coach: id, Name: name}, ttl)
}

// IssueStudent returns a device token for a student of one class.
func (s *Signer) IssueStudent(room protocol.RoomID, id protocol.StudentID, name string, ttl time.Duration) (string, time.Time, error) {
	return s.issue(tokenClaims{Role: protocol.RoleStudent, Student: id, Room: room, Name: name}, ttl)
}

// IssueProjector returns a token for the wall screen of one class. It
// names no person: whoever holds it sees what the whole class sees.
func (s *Signer) IssueProjector(room protocol.RoomID, ttl time.Duration) (string, time.Time, error) {
	return s.issue(tokenClaims{Role: protocol.RoleProjector, Room: room}, ttl)
}

// reissue returns a token that says what c says, valid for ttl from now.
func (s *Signer) reissue(c Claims, ttl time.Duration) (string, time.Time, error) {
	return s.issue(tokenClaims{Role: c.Role, Teacher: c.Teacher, Student: c.Student, Coach: c.Coach, Room: c.Room, Name: c.Name}, ttl)
}

// Verify checks a token and returns what it says.
func (s *Signer) Verify(token string) (Claims, error) {
	// Base64 decoding skips line ends, strict or not: a token with a CR
	// or LF added would be a second spelling of the same token.
	for i := 0; i < len(token); i++ {
		if b := token[i]; !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return Claims{}, fmt.Errorf("%w: a byte outside base64url at %d", ErrInvalidToken, i)
		}
	}
	var c tokenClaims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrExpired
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	// Each role carries its own ID and nothing of another role, so that no
	// token can be read as two people at once.
	switch {
	case c.Role == protocol.RoleTeacher && c.Teacher.Valid() && c.Student == "" && c.Coach == "" && c.Room == "":
	case c.Role == protocol.RoleStudent && c.Student.Valid() && c.Room.Valid() && c.Teacher == "" && c.Coach == "":
	case c.Role == protocol.RoleCoach && c.Coach.Valid() && c.Teacher == "" && c.Student == "" && c.Room == "":
	case c.Role == protocol.RoleProjector && c.Room.Valid() && c.Teacher == "" && c.Student == "" && c.Coach == "":
	default:
		return Claims{}, fmt.Errorf("%w: claims do not fit role %q", ErrInvalidToken, c.Role)
	}
	return Claims{Role: c.Role, Teacher: c.Teacher, Student: c.Student, Coach: c.Coach, Room: c.Room, Name: c.Name, Expires: c.ExpiresAt.Time}, nil
}
