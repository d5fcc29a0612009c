package roster

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"strings"
)

// Word is one join code: a word a young reader knows and a picture of it.
type Word struct {
	Word    string `json:"word"`
	Picture string `json:"picture"` // an emoji
}

// Words are the join codes, in the order a picker shows them. They are
// short, common and easy to draw, and no two look alike as pictures.
// Changing a word voids the codes that use it; add words at the end.
var Words = []Word{
	{"apple", "🍎"}, {"banana", "🍌"}, {"carrot", "🥕"}, {"cake", "🍰"},
	{"pizza", "🍕"}, {"cherry", "🍒"}, {"tiger", "🐯"}, {"lion", "🦁"},
	{"frog", "🐸"}, {"fish", "🐟"}, {"duck", "🦆"}, {"bee", "🐝"},
	{"owl", "🦉"}, {"whale", "🐳"}, {"turtle", "🐢"}, {"snail", "🐌"},
	{"horse", "🐴"}, {"pig", "🐷"}, {"penguin", "🐧"}, {"monkey", "🐵"},
	{"dog", "🐶"}, {"rocket", "🚀"}, {"car", "🚗"}, {"bus", "🚌"},
	{"boat", "⛵"}, {"train", "🚂"}, {"bike", "🚲"}, {"star", "⭐"},
	{"moon", "🌙"}, {"sun", "🌞"}, {"rainbow", "🌈"}, {"tree", "🌳"},
	{"flower", "🌸"}, {"ball", "⚽"}, {"kite", "🪁"}, {"drum", "🥁"},
	{"hat", "🎩"}, {"house", "🏠"}, {"key", "🔑"}, {"gift", "🎁"},
}

// picture returns the emoji of a join code, "" for a word not on the list.
func picture(word string) string {
	for _, w := range Words {
		if w.Word == word {
			return w.Picture
		}
	}
	return ""
}

// pickWord returns a random word of the list that is not in used and is
// not avoid.
func pickWord(used map[string]bool, avoid string) (string, error) {
	var free []string
	for _, w := range Words {
		if !used[w.Word] && w.Word != avoid {
			free = append(free, w.Word)
		}
	}
	if len(free) == 0 {
		return "", fmt.Errorf("roster: no join code is free")
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(free))))
	if err != nil {
		return "", fmt.Errorf("roster: new join code: %w", err)
	}
	return free[n.Int64()], nil
}

// Matches reports whether word, as a student picked or typed it, is the
// student's join code. Case and spaces around it are ignored.
func (s Student) Matches(word string) bool {
	word = strings.ToLower(strings.TrimSpace(word))
	return s.Code != "" && subtle.ConstantTimeCompare([]byte(word), []byte(s.Code)) == 1
}
