package rooms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
)

// banks keeps content banks in a KV bucket, "b.<bank>" → the bank's YAML
// as uploaded, and a parsed copy of each revision in memory. A bank is
// stored only when it parses whole, so the bank in use stays as it was
// when an upload has errors.
type banks struct {
	kv  jetstream.KeyValue
	log *slog.Logger

	mu     sync.Mutex
	parsed map[protocol.BankID]parsedBank
}

type parsedBank struct {
	rev     uint64
	bank    *content.Bank
	checked time.Time // when the revision was last compared with the bucket
}

// recheck is how often a node asks the bucket whether a bank it has
// parsed changed: a bank uploaded on another node is in use here within
// that time, and an answer does not wait for a KV read.
const recheck = time.Second

// BankInfo is a bank as the REST API lists it.
type BankInfo struct {
	ID     protocol.BankID `json:"id"`
	Title  string          `json:"title"`
	Skills int             `json:"skills"`
	Items  int             `json:"items"`
	Sets   []SetInfo       `json:"sets"`
	// SkillNames names each skill, for screens that show mastery by skill:
	// events carry skill IDs only.
	SkillNames map[protocol.SkillID]string `json:"skill_names"`
}

// SetInfo is one set of a bank as the REST API lists it.
type SetInfo struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Kind  string `json:"kind"`
	Items int    `json:"items"`
}

func infoOf(b *content.Bank) BankInfo {
	bi := BankInfo{ID: b.ID, Title: b.Title, Skills: len(b.Skills), Items: len(b.Items), Sets: []SetInfo{}, SkillNames: map[protocol.SkillID]string{}}
	for _, sk := range b.Skills {
		bi.SkillNames[sk.ID] = sk.Name
	}
	for _, s := range b.Sets {
		bi.Sets = append(bi.Sets, SetInfo{ID: string(s.ID), Title: s.Title, Kind: string(s.Kind), Items: len(s.Items)})
	}
	return bi
}

func bankKey(id protocol.BankID) string { return "b." + string(id) }

// seed stores the demo banks that are not there yet, so that a new
// installation has content to start a lesson with.
func (bs *banks) seed(ctx context.Context) error {
	for name, data := range content.DemoFiles() {
		b, err := content.Parse(name, data)
		if err != nil {
			return fmt.Errorf("demo bank %s: %w", name, err)
		}
		if _, err := bs.kv.Create(ctx, bankKey(b.ID), data); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("store demo bank %s: %w", b.ID, err)
		}
	}
	return nil
}

// put parses data and stores it as its bank. A bank with errors is
// refused with every error (CodeBadContent) and nothing is stored.
func (bs *banks) put(ctx context.Context, name string, data []byte) (BankInfo, error) {
	b, err := content.Parse(name, data)
	if err != nil {
		return BankInfo{}, protocol.Errorf(protocol.CodeBadContent, "%s", err.Error())
	}
	rev, err := bs.kv.Put(ctx, bankKey(b.ID), data)
	if err != nil {
		return BankInfo{}, fmt.Errorf("store bank %s: %w", b.ID, err)
	}
	bs.mu.Lock()
	bs.parsed[b.ID] = parsedBank{rev: rev, bank: b, checked: time.Now()}
	bs.mu.Unlock()
	return infoOf(b), nil
}

// get returns the current revision of a bank, parsed once per revision
// and compared with the bucket at most once per recheck.
func (bs *banks) get(ctx context.Context, id protocol.BankID) (*content.Bank, error) {
	bs.mu.Lock()
	p, ok := bs.parsed[id]
	bs.mu.Unlock()
	if ok && time.Since(p.checked) < recheck {
		return p.bank, nil
	}
	e, err := bs.kv.Get(ctx, bankKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no content bank %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read bank %s: %w", id, err)
	}
	if ok && p.rev == e.Revision() {
		bs.mu.Lock()
		bs.parsed[id] = parsedBank{rev: p.rev, bank: p.bank, checked: time.Now()}
		bs.mu.Unlock()
		return p.bank, nil
	}
	b, err := content.Parse(string(id)+".yaml", e.Value())
	if err != nil {
		return nil, fmt.Errorf("stored bank %s does not parse: %w", id, err)
	}
	bs.mu.Lock()
	bs.parsed[id] = parsedBank{rev: e.Revision(), bank: b, checked: time.Now()}
	bs.mu.Unlock()
	return b, nil
}

func (bs *banks) list(ctx context.Context) ([]BankInfo, error) {
	lister, err := bs.kv.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return []BankInfo{}, nil
		}
		return nil, fmt.Errorf("list banks: %w", err)
	}
	out := []BankInfo{}
	for key := range lister.Keys() {
		id, ok := strings.CutPrefix(key, "b.")
		if !ok {
			continue
		}
		b, err := bs.get(ctx, protocol.BankID(id))
		if err != nil {
			bs.log.Warn("content bank", "bank", id, "err", err)
			continue
		}
		out = append(out, infoOf(b))
	}
	slices.SortFunc(out, func(a, b BankInfo) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

// PutBank checks a content bank (YAML) and, when it has no error, stores
// it for every node; name is used in the error messages.
func (m *Manager) PutBank(ctx context.Context, name string, data []byte) (BankInfo, error) {
	return m.banks.put(ctx, name, data)
}

// Banks lists the content banks.
func (m *Manager) Banks(ctx context.Context) ([]BankInfo, error) { return m.banks.list(ctx) }

// Bank returns a parsed content bank.
func (m *Manager) Bank(ctx context.Context, id protocol.BankID) (*content.Bank, error) {
	return m.banks.get(ctx, id)
}
