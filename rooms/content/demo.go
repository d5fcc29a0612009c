package content

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sync"
)

//go:embed demo/*.yaml
var demoFiles embed.FS

// DemoFiles returns the demo banks as files, by file name
// ("geometry-7.yaml"): what a new installation starts with. The map and
// its bytes are the caller's.
func DemoFiles() map[string][]byte {
	names, err := fs.Glob(demoFiles, "demo/*.yaml")
	if err != nil {
		panic(err)
	}
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		data, err := demoFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out[path.Base(name)] = data
	}
	return out
}

// Demo returns the demo banks, parsed once, in file name order: a
// geometry unit and a fractions unit, what a school sees first. They are
// built into the program and the tests parse them, so a demo that does
// not parse is a bug of the program and panics.
func Demo() []*Bank {
	banks := demo()
	return append([]*Bank(nil), banks...)
}

var demo = sync.OnceValue(func() []*Bank {
	files := DemoFiles()
	names := slices.Sorted(maps.Keys(files))
	var banks []*Bank
	for _, name := range names {
		b, err := Parse(name, files[name])
		if err != nil {
			panic(fmt.Sprintf("content: demo bank %s does not parse:\n%v", name, err))
		}
		banks = append(banks, b)
	}
	return banks
})
