package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
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
	res, errs, err := catalog.Import(ctx, a.store, files, actor, dry)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(std.err, e.Error())
		}
		return fmt.Errorf("%d error(s); nothing was imported", len(errs))
	}
	if std.out != nil {
		fmt.Fprintln(std.out, res.Summary())
	}
	return nil
}

// importSample loads the embedded sample catalog (idempotent).
func importSample(ctx context.Context, a *app) error {
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		return err
	}
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
