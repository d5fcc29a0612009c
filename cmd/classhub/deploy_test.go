package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// deployDir is the operators' files, from this package's folder.
const deployDir = "../../deploy"

// yamlDocs parses every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	return docs
}

// Every YAML file under deploy/ parses, and holds something.
func TestDeployYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(deployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		n++
		if docs := yamlDocs(t, path); len(docs) == 0 {
			t.Errorf("%s holds no document", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Fatalf("found %d YAML files under deploy/, want the compose file, the Kubernetes manifests and the NATS values", n)
	}
}

// Every CLASSHUB_ variable the operators' files set is a flag of serve,
// so that a renamed flag cannot leave a deployment silently on a default.
func TestDeployEnvironmentIsFlags(t *testing.T) {
	var c config
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(flags, &c)
	known := map[string]bool{
		"CLASSHUB_IMAGE": true, // compose: the image to run, not a flag
	}
	flags.VisitAll(func(f *flag.Flag) {
		known["CLASSHUB_"+strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))] = true
	})
	re := regexp.MustCompile(`CLASSHUB_[A-Z0-9_]+`)
	seen := 0
	err := filepath.WalkDir(deployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, name := range re.FindAllString(string(b), -1) {
			seen++
			if !known[name] {
				t.Errorf("%s sets %s, which is no flag of classhub serve", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("no CLASSHUB_ variable under deploy/")
	}
}

// dig follows keys (string for maps, int for lists) into a parsed document.
func dig(v any, path ...any) any {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// The compose file: three NATS servers, and classhub nodes that name all
// three and keep every log on all three.
func TestDeployCompose(t *testing.T) {
	doc := yamlDocs(t, filepath.Join(deployDir, "compose.yaml"))[0]
	services, _ := doc["services"].(map[string]any)
	var nats, nodes []string
	for name, svc := range services {
		switch img, _ := dig(svc, "image").(string); {
		case strings.HasPrefix(img, "nats:"):
			nats = append(nats, name)
		case strings.Contains(img, "classhub"):
			nodes = append(nodes, name)
		}
	}
	if len(nats) != 3 || len(nodes) < 2 {
		t.Fatalf("compose has NATS %v and classhub %v, want 3 and at least 2", nats, nodes)
	}
	for _, n := range nodes {
		env := dig(services[n], "environment")
		if got := dig(env, "CLASSHUB_REPLICAS"); got != "3" {
			t.Errorf("%s: CLASSHUB_REPLICAS %v, want 3", n, got)
		}
		urls, _ := dig(env, "CLASSHUB_NATS").(string)
		for _, s := range nats {
			if !strings.Contains(urls, "nats://"+s+":4222") {
				t.Errorf("%s: CLASSHUB_NATS %q does not name %s", n, urls, s)
			}
		}
		if dig(env, "CLASSHUB_NODE") != n {
			t.Errorf("%s: CLASSHUB_NODE %v, want its own name", n, dig(env, "CLASSHUB_NODE"))
		}
	}
	cfg, err := os.ReadFile(filepath.Join(deployDir, "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if !strings.Contains(string(cfg), "server "+n+" "+n+":8080") {
			t.Errorf("haproxy.cfg does not balance to %s", n)
		}
	}
	if !strings.Contains(string(cfg), "uri /readyz") {
		t.Error("haproxy.cfg does not check /readyz")
	}
}

// The Deployment's probes ask the routes the node serves for them, on
// the port it listens on.
func TestDeployKubernetesProbes(t *testing.T) {
	var dep map[string]any
	for _, d := range yamlDocs(t, filepath.Join(deployDir, "k8s", "deployment.yaml")) {
		if d["kind"] == "Deployment" {
			dep = d
		}
	}
	ctr := dig(dep, "spec", "template", "spec", "containers", 0)
	for probe, want := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": "/healthz"} {
		if got := dig(ctr, probe, "httpGet", "path"); got != want {
			t.Errorf("%s asks %v, want %s", probe, got, want)
		}
		if got := dig(ctr, probe, "httpGet", "port"); got != "http" {
			t.Errorf("%s asks port %v, want http", probe, got)
		}
	}
	if dig(ctr, "ports", 0, "name") != "http" || dig(ctr, "ports", 0, "containerPort") != 8080 {
		t.Errorf("the first port is %v, want http on 8080 (the image's CLASSHUB_ADDR)", dig(ctr, "ports", 0))
	}
	var kinds []string
	for _, f := range []string{"pdb.yaml", "hpa.yaml", "service.yaml"} {
		for _, d := range yamlDocs(t, filepath.Join(deployDir, "k8s", f)) {
			kinds = append(kinds, d["kind"].(string))
		}
	}
	slices.Sort(kinds)
	if want := []string{"HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"}; !slices.Equal(kinds, want) {
		t.Errorf("the manifests hold %v, want %v", kinds, want)
	}
	kust := yamlDocs(t, filepath.Join(deployDir, "k8s", "kustomization.yaml"))[0]
	res, _ := kust["resources"].([]any)
	entries, _ := os.ReadDir(filepath.Join(deployDir, "k8s"))
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".yaml") && name != "kustomization.yaml" && name != "nats-values.yaml" && !slices.Contains(res, any(name)) {
			t.Errorf("k8s/%s is not in kustomization.yaml", name)
		}
	}
	if v := dig(yamlDocs(t, filepath.Join(deployDir, "k8s", "nats-values.yaml"))[0], "config", "cluster", "replicas"); v != 3 {
		t.Errorf("the NATS chart's values ask %v replicas, want 3", v)
	}
}

// The image's health check is a command the binary has, on the route
// that says the process is up.
func TestDeployDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		`CGO_ENABLED=0 go build`, "./cmd/classhub",
		"USER 65532", `VOLUME ["/data"]`,
		`HEALTHCHECK`, `"health"]`,
		"CLASSHUB_ADDR=:8080",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile has no %q", want)
		}
	}
	if err := run(t.Context(), []string{"health", "-h"}, nil, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("classhub health -h: %v; the image's health check needs the command", err)
	}
}
