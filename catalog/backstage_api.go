package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Reading a running Backstage's catalog through its REST API:
// GET {base}/api/catalog/entities/by-query, paged with the cursor
// (https://backstage.io/docs/features/software-catalog/software-catalog-api).
// Each page is
//
//	{"items": [entity, ...], "totalItems": N, "pageInfo": {"nextCursor": "..."}}
//
// and the next page is asked for with ?cursor= alone, until a page has no
// nextCursor. The entities become one file of YAML documents, one entity a
// line (JSON is YAML), so that problems name the entity's line like any
// file's. Locations in it are not followed: Backstage has already read them.

// backstagePageSize is the limit asked for each page.
const backstagePageSize = 500

// maxBackstageBody bounds one page's response.
const maxBackstageBody = 256 << 20

// maxBackstagePages bounds the pages read, against a server that never
// stops handing out cursors.
const maxBackstagePages = 10_000

// BackstageEndpoint is the by-query URL for a Backstage base URL: the
// backend's root (https://backstage.example.com), or its catalog API
// (.../api/catalog).
func BackstageEndpoint(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--backstage-url %q: want an http(s) URL such as https://backstage.example.com", base)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/entities/by-query"):
	case strings.HasSuffix(p, "/api/catalog"):
		p += "/entities/by-query"
	default:
		p += "/api/catalog/entities/by-query"
	}
	u.Path, u.RawQuery, u.Fragment = p, "", ""
	return u.String(), nil
}

// FetchBackstage reads every entity of a Backstage catalog. token, when
// set, is sent as a bearer token (it never appears in errors).
func FetchBackstage(ctx context.Context, client *http.Client, base, token string) (File, error) {
	endpoint, err := BackstageEndpoint(base)
	if err != nil {
		return File{}, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	var out bytes.Buffer
	cursor, seen := "", map[string]bool{}
	for page := 0; ; page++ {
		if page == maxBackstagePages {
			return File{}, fmt.Errorf("backstage: more than %d pages; stopped", maxBackstagePages)
		}
		q := url.Values{"limit": {fmt.Sprint(backstagePageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var resp struct {
			Items      []json.RawMessage `json:"items"`
			TotalItems int               `json:"totalItems"`
			PageInfo   struct {
				NextCursor string `json:"nextCursor"`
			} `json:"pageInfo"`
		}
		if err := getJSON(ctx, client, endpoint+"?"+q.Encode(), token, &resp); err != nil {
			return File{}, err
		}
		for _, it := range resp.Items {
			var line bytes.Buffer
			if err := json.Compact(&line, it); err != nil {
				return File{}, fmt.Errorf("backstage: page %d: %w", page+1, err)
			}
			if out.Len() > 0 {
				out.WriteString("---\n")
			}
			out.Write(line.Bytes())
			out.WriteByte('\n')
		}
		cursor = resp.PageInfo.NextCursor
		if cursor == "" {
			break
		}
		if seen[cursor] {
			return File{}, fmt.Errorf("backstage: page %d hands out a cursor already used; stopped", page+1)
		}
		seen[cursor] = true
	}
	return File{Path: endpoint, Data: out.Bytes()}, nil
}

func getJSON(ctx context.Context, client *http.Client, u, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("backstage: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("backstage: GET %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBackstageBody+1))
	if err != nil {
		return fmt.Errorf("backstage: GET %s: %w", redact(u), err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("backstage: GET %s: %s: the catalog wants a valid token (--backstage-token)", redact(u), resp.Status)
	case resp.StatusCode != http.StatusOK:
		snippet := strings.TrimSpace(string(body[:min(len(body), 200)]))
		return fmt.Errorf("backstage: GET %s: %s: %s", redact(u), resp.Status, snippet)
	case len(body) > maxBackstageBody:
		return fmt.Errorf("backstage: GET %s: a page over %d MiB", redact(u), maxBackstageBody>>20)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("backstage: GET %s: not a by-query response: %w", redact(u), err)
	}
	return nil
}

// redact drops the query (the cursor) from a URL for messages.
func redact(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}
