// Package catalog reads and writes catalog YAML (SPEC section 5): native
// `itspm/v1` documents and Backstage descriptors in, native documents out.
//
// Import validates everything before anything is written, and every problem
// is reported as `file:line: message`: the YAML is walked as nodes against
// the domain types (so unknown fields, wrong types and bad text carry their
// line), and domain validation problems are mapped back to the line of the
// field they name.
package catalog

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// File is one catalog file's name (as shown in error messages) and content.
type File struct {
	Path string
	Data []byte
}

// isCatalogFile reports whether a directory entry is read as catalog YAML.
func isCatalogFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// ReadPaths reads the files and directories named on the command line.
// Directories are searched recursively for *.yaml and *.yml files (hidden
// files and directories are skipped); files named explicitly are read
// whatever their extension, and "-" is standard input. The result is sorted
// by path, each file once.
func ReadPaths(paths []string) ([]File, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no catalog files given")
	}
	seen := map[string]bool{}
	var files []File
	add := func(p string, read func() ([]byte, error)) error {
		if seen[p] {
			return nil
		}
		seen[p] = true
		data, err := read()
		if err != nil {
			return err
		}
		files = append(files, File{Path: p, Data: data})
		return nil
	}
	for _, p := range paths {
		if p == "-" {
			if err := add("<stdin>", func() ([]byte, error) { return io.ReadAll(os.Stdin) }); err != nil {
				return nil, fmt.Errorf("read standard input: %w", err)
			}
			continue
		}
		p = filepath.Clean(p)
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if err := add(p, func() ([]byte, error) { return os.ReadFile(p) }); err != nil {
				return nil, err
			}
			continue
		}
		found := 0
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if q != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !isCatalogFile(q) {
				return nil
			}
			found++
			return add(q, func() ([]byte, error) { return os.ReadFile(q) })
		})
		if err != nil {
			return nil, err
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no .yaml or .yml files in this directory", p)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// ReadFS reads every *.yaml and *.yml file of fsys (such as an embedded
// sample catalog), sorted by path.
func ReadFS(fsys fs.FS) ([]File, error) {
	var files []File
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isCatalogFile(p) {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: p, Data: data})
		return nil
	})
	return files, err
}

// Error is one problem in one file. Line is 1-based; 0 means the file as a
// whole. File is empty for problems of documents already in the catalog.
type Error struct {
	File    string
	Line    int
	Message string
}

func (e Error) Error() string {
	switch {
	case e.File == "":
		return e.Message
	case e.Line <= 0:
		return e.File + ": " + e.Message
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Message
}

// Errors is every problem found, one per line when printed.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es as an error, or nil when there are none (a nil Errors in
// an error interface would not be nil).
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// sorted orders errors by file, then line; problems without a file (in
// documents already stored) come last. Messages found at the same place keep
// their order.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if (a.File == "") != (b.File == "") {
			return b.File == ""
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return es
}
