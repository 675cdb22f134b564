package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Just enough of the Kubernetes API for the checks below.
type (
	meta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	object struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   meta   `yaml:"metadata"`
		file       string
		node       *yaml.Node
	}
	selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	securityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		RunAsUser                *int  `yaml:"runAsUser"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities             *struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
		SeccompProfile *struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"env"`
		EnvFrom []struct {
			ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
			SecretRef    *struct{ Name string } `yaml:"secretRef"`
		} `yaml:"envFrom"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		StartupProbe   *probe `yaml:"startupProbe"`
		Lifecycle      *struct {
			PreStop *struct {
				Exec *struct {
					Command []string `yaml:"command"`
				} `yaml:"exec"`
				Sleep *struct {
					Seconds int `yaml:"seconds"`
				} `yaml:"sleep"`
			} `yaml:"preStop"`
		} `yaml:"lifecycle"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext *securityContext `yaml:"securityContext"`
		VolumeMounts    []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
	deployment struct {
		Spec struct {
			Replicas *int     `yaml:"replicas"`
			Selector selector `yaml:"selector"`
			Template struct {
				Metadata struct {
					Labels      map[string]string `yaml:"labels"`
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
				Spec struct {
					TerminationGracePeriodSeconds *int            `yaml:"terminationGracePeriodSeconds"`
					SecurityContext               securityContext `yaml:"securityContext"`
					Containers                    []container     `yaml:"containers"`
					Volumes                       []struct {
						Name string `yaml:"name"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	service struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort any    `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	pdb struct {
		Spec struct {
			MinAvailable   any      `yaml:"minAvailable"`
			MaxUnavailable any      `yaml:"maxUnavailable"`
			Selector       selector `yaml:"selector"`
		} `yaml:"spec"`
	}
	keyed struct {
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
	}
	ingress struct {
		Spec struct {
			Rules []struct {
				HTTP struct {
					Paths []struct {
						Path    string `yaml:"path"`
						Backend struct {
							Service struct {
								Name string `yaml:"name"`
								Port struct {
									Name   string `yaml:"name"`
									Number int    `yaml:"number"`
								} `yaml:"port"`
							} `yaml:"service"`
						} `yaml:"backend"`
					} `yaml:"paths"`
				} `yaml:"http"`
			} `yaml:"rules"`
		} `yaml:"spec"`
	}
	kustomization struct {
		Resources []string `yaml:"resources"`
	}
)

const k8sDir = "deploy/kubernetes"

// loadManifests decodes every document of every YAML file in the directory.
func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no manifests (%v)", k8sDir, err)
	}
	var out []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var o object
			if err := n.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Errorf("%s: a document without apiVersion/kind", f)
				continue
			}
			o.file, o.node = filepath.Base(f), &n
			out = append(out, o)
		}
	}
	return out
}

// one decodes the single object of kind into v.
func one(t *testing.T, objs []object, kind string, v any) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s objects, want 1", len(found), kind)
	}
	if err := found[0].node.Decode(v); err != nil {
		t.Fatalf("%s: %v", found[0].file, err)
	}
	return found[0]
}

// subset reports whether every label of sel is in labels (and sel is not empty).
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetes(t *testing.T) {
	p := loadProgram(t)
	objs := loadManifests(t)

	t.Run("kustomization lists every manifest", func(t *testing.T) {
		var k kustomization
		one(t, objs, "Kustomization", &k)
		files := map[string]bool{}
		for _, o := range objs {
			if o.Kind != "Kustomization" {
				files[o.file] = true
			}
		}
		listed := map[string]bool{}
		for _, r := range k.Resources {
			listed[r] = true
			if !exists(filepath.Join(k8sDir, r)) {
				t.Errorf("kustomization.yaml lists %s, which does not exist", r)
			}
		}
		for f := range files {
			if !listed[f] {
				t.Errorf("kustomization.yaml does not list %s", f)
			}
		}
	})

	var dep deployment
	one(t, objs, "Deployment", &dep)
	ds := dep.Spec
	pod := ds.Template.Spec
	podLabels := ds.Template.Metadata.Labels
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment: %d containers, want 1", len(pod.Containers))
	}
	ctr := pod.Containers[0]
	// portOf resolves a probe or Service port (number or name) to a
	// container port.
	portOf := func(v any) int {
		switch v := v.(type) {
		case int:
			return v
		case string:
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
			for _, cp := range ctr.Ports {
				if cp.Name == v {
					return cp.ContainerPort
				}
			}
		}
		return -1
	}
	listen, _ := strconv.Atoi(p.port)

	t.Run("deployment", func(t *testing.T) {
		if ds.Replicas == nil || *ds.Replicas < 2 {
			t.Errorf("Deployment replicas %s, want at least 2", fmtInt(ds.Replicas))
		}
		if !subset(ds.Selector.MatchLabels, podLabels) {
			t.Errorf("Deployment selector %v does not match pod labels %v", ds.Selector.MatchLabels, podLabels)
		}
		if args := append(slices.Clone(ctr.Command), ctr.Args...); !slices.Contains(args, "serve") {
			t.Errorf("container runs %v, not serve", args)
		}
		if !slices.ContainsFunc(ctr.Ports, func(cp struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		}) bool {
			return cp.ContainerPort == listen
		}) {
			t.Errorf("container ports %v lack %d (ITSPM_HTTP_ADDR's default)", ctr.Ports, listen)
		}
		for _, pr := range []struct {
			name string
			p    *probe
			path string
		}{{"readinessProbe", ctr.ReadinessProbe, "/readyz"}, {"livenessProbe", ctr.LivenessProbe, "/healthz"}} {
			if pr.p == nil || pr.p.HTTPGet == nil {
				t.Errorf("container has no HTTP %s", pr.name)
				continue
			}
			if pr.p.HTTPGet.Path != pr.path {
				t.Errorf("%s path %s, want %s", pr.name, pr.p.HTTPGet.Path, pr.path)
			}
			if got := portOf(pr.p.HTTPGet.Port); got != listen {
				t.Errorf("%s port %v resolves to %d, want %d", pr.name, pr.p.HTTPGet.Port, got, listen)
			}
			p.checkRoute(t, pr.name, pr.path)
		}
		if sp := ctr.StartupProbe; sp != nil && sp.HTTPGet != nil {
			p.checkRoute(t, "startupProbe", sp.HTTPGet.Path)
		}
		if a := ds.Template.Metadata.Annotations; a["prometheus.io/path"] != "" {
			p.checkRoute(t, "prometheus.io/path", a["prometheus.io/path"])
			if a["prometheus.io/port"] != p.port {
				t.Errorf("prometheus.io/port %s, want %s", a["prometheus.io/port"], p.port)
			}
		}
		for _, r := range []string{"cpu", "memory"} {
			if ctr.Resources.Requests[r] == "" {
				t.Errorf("no %s request", r)
			}
		}
		if ctr.Resources.Limits["memory"] == "" {
			t.Error("no memory limit")
		}
		// Grace must cover the preStop pause plus serve's drain deadline.
		grace := 30 // Kubernetes' default
		if pod.TerminationGracePeriodSeconds != nil {
			grace = *pod.TerminationGracePeriodSeconds
		}
		preStop := 0
		if l := ctr.Lifecycle; l != nil && l.PreStop != nil {
			if l.PreStop.Sleep != nil {
				preStop = l.PreStop.Sleep.Seconds
			}
			if e := l.PreStop.Exec; e != nil && len(e.Command) == 2 && e.Command[0] == "sleep" {
				preStop, _ = strconv.Atoi(e.Command[1])
			}
		}
		if need := preStop + int(drainDeadline(t).Seconds()); grace <= need {
			t.Errorf("terminationGracePeriodSeconds %d must exceed preStop %ds + drain deadline %v", grace, preStop, drainDeadline(t))
		}
	})

	t.Run("security context", func(t *testing.T) {
		psc, csc := pod.SecurityContext, ctr.SecurityContext
		if csc == nil {
			csc = &securityContext{}
		}
		pick := func(c, p *bool) bool {
			if c != nil {
				return *c
			}
			return p != nil && *p
		}
		if !pick(csc.RunAsNonRoot, psc.RunAsNonRoot) {
			t.Error("runAsNonRoot is not true")
		}
		uid := csc.RunAsUser
		if uid == nil {
			uid = psc.RunAsUser
		}
		if uid != nil {
			if *uid == 0 {
				t.Error("runAsUser 0")
			}
			if want := dockerUser(t); *uid != want {
				t.Errorf("runAsUser %d, the image's USER is %d (files owned by the image user would be unwritable)", *uid, want)
			}
		}
		if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
			t.Error("capabilities do not drop ALL")
		}
		sp := csc.SeccompProfile
		if sp == nil {
			sp = psc.SeccompProfile
		}
		if sp == nil || sp.Type != "RuntimeDefault" {
			t.Error("seccompProfile is not RuntimeDefault")
		}
		// A read-only root needs writable mounts where the process writes:
		// /tmp (SQLite temp files) and the data directory.
		mounts := map[string]string{}
		for _, m := range ctr.VolumeMounts {
			mounts[m.MountPath] = m.Name
		}
		if mounts["/tmp"] == "" {
			t.Error("no volume at /tmp under a read-only root filesystem")
		}
		for _, e := range ctr.Env {
			if e.Name == "ITSPM_DATA_DIR" && mounts[e.Value] == "" {
				t.Errorf("ITSPM_DATA_DIR=%s is not a mounted volume", e.Value)
			}
		}
		vols := map[string]bool{}
		for _, v := range pod.Volumes {
			vols[v.Name] = true
		}
		for path, name := range mounts {
			if !vols[name] {
				t.Errorf("mount %s uses undeclared volume %s", path, name)
			}
		}
	})

	t.Run("configuration", func(t *testing.T) {
		var sec, cm keyed
		secObj := one(t, objs, "Secret", &sec)
		cmObj := one(t, objs, "ConfigMap", &cm)
		secKeys := slices.Sorted(maps.Keys(sec.StringData))
		secKeys = append(secKeys, slices.Sorted(maps.Keys(sec.Data))...)
		cmKeys := slices.Sorted(maps.Keys(cm.Data))
		p.checkVars(t, "Secret", secKeys)
		p.checkVars(t, "ConfigMap", cmKeys)
		for _, v := range secretVars {
			if !slices.Contains(secKeys, v) {
				t.Errorf("Secret lacks %s", v)
			}
			if slices.Contains(cmKeys, v) {
				t.Errorf("ConfigMap holds %s, a credential; it belongs in the Secret", v)
			}
		}
		var envNames []string
		refs := map[string]string{}
		for _, e := range ctr.Env {
			envNames = append(envNames, e.Name)
		}
		p.checkVars(t, "container env", envNames)
		for _, ef := range ctr.EnvFrom {
			if ef.ConfigMapRef != nil {
				refs["ConfigMap"] = ef.ConfigMapRef.Name
			}
			if ef.SecretRef != nil {
				refs["Secret"] = ef.SecretRef.Name
			}
		}
		if refs["ConfigMap"] != cmObj.Metadata.Name || refs["Secret"] != secObj.Metadata.Name {
			t.Errorf("envFrom %v, want ConfigMap %s and Secret %s", refs, cmObj.Metadata.Name, secObj.Metadata.Name)
		}
		all := slices.Concat(secKeys, cmKeys, envNames)
		for _, r := range p.required {
			if !slices.Contains(all, r) {
				t.Errorf("required %s is set by neither the Secret, the ConfigMap nor env", r)
			}
		}
		if addr := cm.Data["ITSPM_HTTP_ADDR"]; addr != "" && !strings.HasSuffix(addr, ":"+p.port) {
			t.Errorf("ConfigMap ITSPM_HTTP_ADDR %s, but the probes and Service use %s", addr, p.port)
		}
	})

	var svc service
	svcObj := one(t, objs, "Service", &svc)
	t.Run("service", func(t *testing.T) {
		if !subset(svc.Spec.Selector, podLabels) {
			t.Errorf("Service selector %v does not match pod labels %v", svc.Spec.Selector, podLabels)
		}
		if len(svc.Spec.Ports) == 0 {
			t.Fatal("Service has no ports")
		}
		for _, sp := range svc.Spec.Ports {
			target := sp.TargetPort
			if target == nil {
				target = sp.Port
			}
			if got := portOf(target); got != listen {
				t.Errorf("Service port %d targets %v = container port %d, want %d", sp.Port, target, got, listen)
			}
		}
	})

	t.Run("disruption budget", func(t *testing.T) {
		var b pdb
		one(t, objs, "PodDisruptionBudget", &b)
		if !subset(b.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("PDB selector %v does not match pod labels %v", b.Spec.Selector.MatchLabels, podLabels)
		}
		if !maps.Equal(b.Spec.Selector.MatchLabels, ds.Selector.MatchLabels) {
			t.Errorf("PDB selector %v differs from the Deployment's %v", b.Spec.Selector.MatchLabels, ds.Selector.MatchLabels)
		}
		// minAvailable equal to replicas would block every node drain.
		if n, ok := b.Spec.MinAvailable.(int); ok && ds.Replicas != nil && n >= *ds.Replicas {
			t.Errorf("PDB minAvailable %d >= replicas %d blocks voluntary evictions", n, *ds.Replicas)
		}
		if b.Spec.MinAvailable == nil && b.Spec.MaxUnavailable == nil {
			t.Error("PDB sets neither minAvailable nor maxUnavailable")
		}
	})

	t.Run("ingress", func(t *testing.T) {
		var ing ingress
		o := one(t, objs, "Ingress", &ing)
		for _, want := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
			p.checkRoute(t, o.file, want)
		}
		for _, r := range ing.Spec.Rules {
			for _, path := range r.HTTP.Paths {
				if path.Path == "" || path.Path == "/" || !strings.HasPrefix(path.Path, "/slack") {
					t.Errorf("Ingress exposes %q; only /slack/* should be public (not /metrics)", path.Path)
				}
				be := path.Backend.Service
				if be.Name != svcObj.Metadata.Name {
					t.Errorf("Ingress backend %s, the Service is %s", be.Name, svcObj.Metadata.Name)
				}
				var ok bool
				for _, sp := range svc.Spec.Ports {
					ok = ok || (be.Port.Name != "" && be.Port.Name == sp.Name) || (be.Port.Number != 0 && be.Port.Number == sp.Port)
				}
				if !ok {
					t.Errorf("Ingress backend port %+v is not a port of Service %s", be.Port, be.Name)
				}
			}
		}
	})
}

func fmtInt(p *int) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(*p)
}
