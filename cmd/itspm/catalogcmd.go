package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
)

func runImport(ctx context.Context, args []string, std stdio, env []string) error {
	flags, paths, err := splitFlags(args,
		map[string]bool{"default-portfolio": true, "backstage-url": true, "backstage-token": true},
		map[string]bool{"dry-run": true, "strict": true})
	if err != nil {
		return err
	}
	bsURL := flags["backstage-url"]
	if len(paths) == 0 && bsURL == "" {
		return usageError{"import needs at least one file or directory (or --backstage-url)"}
	}
	if _, ok := flags["backstage-token"]; ok && bsURL == "" {
		return usageError{"--backstage-token goes with --backstage-url"}
	}
	var files []catalog.File
	if len(paths) > 0 {
		if files, err = catalog.ReadPaths(paths); err != nil {
			return err
		}
	}
	if bsURL != "" {
		token, ok := flags["backstage-token"]
		if !ok {
			token = envValue(env, "ITSPM_BACKSTAGE_TOKEN")
		}
		f, err := catalog.FetchBackstage(ctx, &http.Client{Timeout: 2 * time.Minute}, bsURL, token)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	a, err := loadApp(std, env)
	if err != nil {
		return err
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	defer a.close()
	return doImport(ctx, a, files, catalog.ImportOptions{
		Actor: "import", DryRun: flags["dry-run"] == "true", Strict: flags["strict"] == "true",
		DefaultPortfolio: flags["default-portfolio"],
	}, std)
}

// envValue is the last NAME=value of env.
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// doImport validates files against the stored catalog and applies them
// unless there are errors (each printed as file:line: message) or it is a
// dry run. Warnings (what a Backstage catalog has that does not map) are
// printed with their count; with --strict they are errors.
func doImport(ctx context.Context, a *app, files []catalog.File, o catalog.ImportOptions, std stdio) error {
	res, errs, err := catalog.ImportWith(ctx, a.store, files, o)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(std.err, e.Error())
		}
		if o.Strict && len(res.Warnings) > 0 {
			return fmt.Errorf("%d error(s), %d of them warnings made errors by --strict; nothing was imported", len(errs), len(res.Warnings))
		}
		return fmt.Errorf("%d error(s); nothing was imported", len(errs))
	}
	if len(res.Warnings) > 0 && std.err != nil {
		for _, w := range res.Warnings {
			fmt.Fprintln(std.err, "warning: "+w.Error())
		}
		fmt.Fprintf(std.err, "%d warning(s): imported without what they name (--strict makes them errors)\n", len(res.Warnings))
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
	return doImport(ctx, a, files, catalog.ImportOptions{Actor: "demo"}, stdio{err: os.Stderr})
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
