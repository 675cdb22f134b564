package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/domain"
)

func runImport(ctx context.Context, args []string, std stdio, env []string) error {
	flags, paths, err := splitFlags(args, nil, map[string]bool{"dry-run": true})
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError{"import needs at least one file or directory"}
	}
	files, err := catalog.ReadPaths(paths)
	if err != nil {
		return err
	}
	a, err := loadApp(std, env)
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	defer a.close()
	dry := flags["dry-run"] == "true"
	return doImport(ctx, a, files, "import", dry, std)
}

// doImport validates files against the stored catalog and applies them
// unless there are errors (each printed as file:line: message) or dry is set.
func doImport(ctx context.Context, a *app, files []catalog.File, actor string, dry bool, std stdio) error {
	res, errs, err := catalog.Import(ctx, storeAdapter{a.store}, files, actor, dry)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(std.err, e.String())
		}
		return fmt.Errorf("%d error(s); nothing was imported", len(errs))
	}
	if std.out != nil {
		verb := "imported"
		if dry {
			verb = "dry run: would import"
		}
		fmt.Fprintf(std.out, "%s %s\n", verb, summary(res))
	}
	return nil
}

func summary(r catalog.Result) string {
	kinds := make([]string, 0, len(domain.Kinds))
	for _, k := range domain.Kinds {
		if n := r.Created[k] + r.Updated[k] + r.Unchanged[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, strings.ToLower(k)))
		}
	}
	c, u, n := 0, 0, 0
	for _, k := range domain.Kinds {
		c, u, n = c+r.Created[k], u+r.Updated[k], n+r.Unchanged[k]
	}
	return fmt.Sprintf("%s: %d created, %d updated, %d unchanged", strings.Join(kinds, ", "), c, u, n)
}

// importSample loads the embedded sample catalog (idempotent).
func importSample(ctx context.Context, a *app) error {
	var files []catalog.File
	err := fs.WalkDir(sample.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(sample.FS, path)
		files = append(files, catalog.File{Path: "sample/" + path, Data: b})
		return err
	})
	if err != nil {
		return err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return doImport(ctx, a, files, "demo", false, stdio{err: os.Stderr})
}

func runExport(ctx context.Context, args []string, std stdio, env []string) error {
	_, pos, err := splitFlags(args, nil, nil)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"export takes at most one PATH"}
	}
	a, err := loadApp(std, env)
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	defer a.close()
	snap, err := a.store.Snapshot(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.Export(&buf, snap.Catalog()); err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] == "-" {
		_, err = std.out.Write(buf.Bytes())
		return err
	}
	// Write atomically so a failed export never leaves half a file.
	tmp := pos[0] + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp, pos[0]); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(std.err, "exported %d documents to %s\n", snap.Catalog().Len(), filepath.Clean(pos[0]))
	return nil
}
