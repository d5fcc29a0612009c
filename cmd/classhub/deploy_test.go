package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"
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

// The compose file is valid for Compose itself: loaded, interpolated and
// checked against the Compose specification's schema by compose-go, the
// loader `docker compose config` runs, with NATS_TOKEN set as
// deploy/.env sets it; without it, loading says what to set.
func TestDeployComposeConfig(t *testing.T) {
	load := func(env []string) (*types.Project, error) {
		opts, err := cli.NewProjectOptions([]string{filepath.Join(deployDir, "compose.yaml")},
			cli.WithWorkingDirectory(deployDir), cli.WithEnv(env), cli.WithInterpolation(true))
		if err != nil {
			return nil, err
		}
		return opts.LoadProject(t.Context())
	}
	p, err := load([]string{"NATS_TOKEN=a-test-token"})
	if err != nil {
		t.Fatalf("docker compose config would refuse deploy/compose.yaml: %v", err)
	}
	var nodes []string
	for name, svc := range p.Services {
		if svc.Build != nil {
			nodes = append(nodes, name)
			if svc.Build.Dockerfile != "deploy/Dockerfile" {
				t.Errorf("%s builds %s, want deploy/Dockerfile", name, svc.Build.Dockerfile)
			}
			if got := svc.Environment["CLASSHUB_NATS_TOKEN"]; got == nil || *got != "a-test-token" {
				t.Errorf("%s: CLASSHUB_NATS_TOKEN is %v, want the token of deploy/.env", name, got)
			}
			if len(svc.Ports) != 0 {
				t.Errorf("%s publishes %v; only the load balancer may", name, svc.Ports)
			}
		}
	}
	if len(nodes) < 2 {
		t.Fatalf("compose builds %v, want at least two classhub nodes", nodes)
	}
	if _, err := load(nil); err == nil || !strings.Contains(err.Error(), "NATS_TOKEN") {
		t.Errorf("without NATS_TOKEN: %v, want an error naming it", err)
	}
}

// dockerfileBuild is the Dockerfile's command that builds the binary,
// as one shell line.
func dockerfileBuild(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := strings.ReplaceAll(string(b), "\\\n", " ")
	for line := range strings.SplitSeq(df, "\n") {
		if i := strings.Index(line, "CGO_ENABLED=0 go build"); i >= 0 && strings.HasPrefix(strings.TrimSpace(line), "RUN ") {
			return line[i:]
		}
	}
	t.Fatal("the Dockerfile has no RUN with CGO_ENABLED=0 go build")
	return ""
}

// The Dockerfile's build command, run as it is (its flags, its -o and
// its package) outside Docker, builds a static binary: no interpreter,
// no shared library (the distroless/static image has no libc), that
// says the version and revision it was given.
func TestDeployBuildIsStatic(t *testing.T) {
	cmdline := dockerfileBuild(t)
	if !strings.Contains(cmdline, "-o /out/classhub ./cmd/classhub") {
		t.Fatalf("the Dockerfile builds %q, want -o /out/classhub ./cmd/classhub", cmdline)
	}
	out := filepath.Join(t.TempDir(), "classhub")
	cmdline = strings.Replace(cmdline, "-o /out/classhub", "-o "+out, 1)
	build := exec.CommandContext(t.Context(), "sh", "-c", cmdline)
	build.Dir = filepath.Join(deployDir, "..")
	build.Env = append(os.Environ(), "VERSION=v9.8.7-test", "REVISION=0123456789abcdef")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary names a dynamic loader (PT_INTERP)")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
	if b, err := exec.Command("file", out).CombinedOutput(); err != nil || !strings.Contains(string(b), "statically linked") {
		t.Errorf("file: %s (%v), want statically linked", b, err)
	}
	if b, err := exec.Command("ldd", out).CombinedOutput(); err == nil || !strings.Contains(string(b), "not a dynamic executable") {
		t.Errorf("ldd: %s (%v), want not a dynamic executable", b, err)
	}
	b, err := exec.Command(out, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(b), "v9.8.7-test") || !strings.Contains(string(b), "0123456789ab") {
		t.Errorf("%s --version: %s (%v), want the version and revision given", out, b, err)
	}
}

// The systemd units pass systemd-analyze verify: every directive known,
// every dependency there, every command executable. The units name the
// binaries where the install puts them (/usr/local/bin); they are
// checked with those paths pointing at a binary of this test.
func TestDeploySystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is needed to check deploy/systemd (Debian: apt-get install systemd; .ci/test installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"classhub", "nats-server"} {
		if err := os.Symlink(self, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	units := filepath.Join(dir, "units")
	copyUnit := func(from, to string) {
		b, err := os.ReadFile(filepath.Join(deployDir, "systemd", from))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("/usr/local/bin/"), []byte(bin+"/"))
		if err := os.MkdirAll(filepath.Dir(filepath.Join(units, to)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(units, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyUnit("classhub.service", "classhub.service")
	copyUnit("nats-server.service", "nats-server.service")
	// The drop-in, as the install puts it, checked with the unit.
	copyUnit("classhub-cluster.conf", "classhub.service.d/cluster.conf")
	for _, unit := range []string{"classhub.service", "nats-server.service"} {
		cmd := exec.CommandContext(t.Context(), analyze, "verify", filepath.Join(units, unit))
		cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=notice")
		b, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(b)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, b)
		}
	}
	// The drop-in was read: a directive misspelt in it is found.
	copyUnit("classhub-cluster.conf", "classhub.service.d/cluster.conf")
	bad := filepath.Join(units, "classhub.service.d", "typo.conf")
	if err := os.WriteFile(bad, []byte("[Service]\nEnviromnent=X=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := exec.CommandContext(t.Context(), analyze, "verify", filepath.Join(units, "classhub.service")).CombinedOutput(); !bytes.Contains(b, []byte("Enviromnent")) {
		t.Errorf("systemd-analyze verify did not read the unit's drop-ins: %s", b)
	}
}

// Every Kubernetes manifest is a kind of the API version the cluster
// serves it at; the probes, the Service, the Ingress and the metrics
// annotations point at ports the container declares and at routes a
// running node answers, on the address the image makes it listen on.
func TestDeployKubernetesAgainstServe(t *testing.T) {
	want := map[string]string{
		"Deployment": "apps/v1", "Service": "v1", "Namespace": "v1",
		"PodDisruptionBudget": "policy/v1", "HorizontalPodAutoscaler": "autoscaling/v2",
		"Ingress": "networking.k8s.io/v1", "Kustomization": "kustomize.config.k8s.io/v1beta1",
	}
	docs := map[string]map[string]any{}
	entries, err := os.ReadDir(filepath.Join(deployDir, "k8s"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "nats-values.yaml" || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		for _, d := range yamlDocs(t, filepath.Join(deployDir, "k8s", e.Name())) {
			kind, _ := d["kind"].(string)
			if av, ok := want[kind]; !ok || d["apiVersion"] != av {
				t.Errorf("k8s/%s: %v %v, want one of %v at its API version", e.Name(), d["apiVersion"], kind, want)
			}
			if kind != "Kustomization" && dig(d, "metadata", "name") == nil {
				t.Errorf("k8s/%s: a %s without metadata.name", e.Name(), kind)
			}
			docs[kind] = d
		}
	}
	for kind := range want {
		if docs[kind] == nil {
			t.Errorf("no %s in deploy/k8s", kind)
		}
	}

	// The image's addresses, as the container runs them.
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	imagePort := func(name string) int {
		m := regexp.MustCompile(name + `=:(\d+)`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("the Dockerfile sets no %s=:port", name)
		}
		p, _ := strconv.Atoi(string(m[1]))
		return p
	}
	dep := docs["Deployment"]
	ctr := dig(dep, "spec", "template", "spec", "containers", 0)
	ports := map[string]int{}
	for i := 0; dig(ctr, "ports", i) != nil; i++ {
		name, _ := dig(ctr, "ports", i, "name").(string)
		p, _ := dig(ctr, "ports", i, "containerPort").(int)
		ports[name] = p
	}
	if ports["http"] != imagePort("CLASSHUB_ADDR") {
		t.Errorf("container port http %d, the image listens on %d", ports["http"], imagePort("CLASSHUB_ADDR"))
	}
	admin := imagePort("CLASSHUB_ADMIN_ADDR")
	for i := 0; dig(ctr, "env", i) != nil; i++ {
		if dig(ctr, "env", i, "name") == "CLASSHUB_ADMIN_ADDR" {
			v, _ := dig(ctr, "env", i, "value").(string)
			admin, _ = strconv.Atoi(strings.TrimPrefix(v, ":"))
		}
	}
	if ports["admin"] != admin {
		t.Errorf("container port admin %d, the node's admin address is on %d", ports["admin"], admin)
	}
	ann := dig(dep, "spec", "template", "metadata", "annotations")
	if p, _ := strconv.Atoi(fmt.Sprint(dig(ann, "prometheus.io/port"))); p != admin {
		t.Errorf("prometheus.io/port %v, the admin address is on %d", dig(ann, "prometheus.io/port"), admin)
	}
	if tp := dig(docs["Service"], "spec", "ports", 0, "targetPort"); tp != "http" {
		t.Errorf("the Service targets %v, want the container's port http", tp)
	}
	svcPort, _ := dig(docs["Service"], "spec", "ports", 0, "name").(string)
	be := dig(docs["Ingress"], "spec", "rules", 0, "http", "paths", 0, "backend", "service")
	if dig(be, "name") != dig(docs["Service"], "metadata", "name") || dig(be, "port", "name") != svcPort {
		t.Errorf("the Ingress sends to %v, want the Service's port %s", be, svcPort)
	}
	for _, kind := range []string{"PodDisruptionBudget"} {
		sel := dig(docs[kind], "spec", "selector", "matchLabels", "app.kubernetes.io/name")
		if sel != dig(dep, "spec", "template", "metadata", "labels", "app.kubernetes.io/name") {
			t.Errorf("the %s selects %v, not the Deployment's pods", kind, sel)
		}
	}
	if dig(docs["HorizontalPodAutoscaler"], "spec", "scaleTargetRef", "name") != dig(dep, "metadata", "name") {
		t.Error("the HorizontalPodAutoscaler scales another Deployment")
	}

	// A running node answers every probe on its public address and the
	// scrape on its admin address.
	s := startServer(t, t.TempDir())
	for _, probe := range []string{"startupProbe", "livenessProbe", "readinessProbe"} {
		path, _ := dig(ctr, probe, "httpGet", "path").(string)
		if status, body := get(t, http.DefaultClient, s.url+path); status != http.StatusOK {
			t.Errorf("%s: GET %s answers %d %.80q", probe, path, status, body)
		}
	}
	path, _ := dig(ann, "prometheus.io/path").(string)
	if status, body := get(t, http.DefaultClient, s.admin+path); status != http.StatusOK || !strings.Contains(body, "classhub_build_info") {
		t.Errorf("prometheus.io/path: GET %s on the admin address answers %d %.80q", path, status, body)
	}
}

// The NATS configurations load in the NATS server classhub is built and
// tested with (go.mod's), with the environment compose and systemd give
// them: JetStream, a cluster of three routes, the token.
func TestDeployNATSConfigs(t *testing.T) {
	t.Setenv("SERVER_NAME", "nats-1")
	t.Setenv("NATS_TOKEN", "a-test-token")
	for _, f := range []string{"nats-cluster.conf", filepath.Join("systemd", "nats-server.conf")} {
		o, err := server.ProcessConfigFile(filepath.Join(deployDir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !o.JetStream || len(o.Routes) != 3 || o.Cluster.Name == "" || o.Authorization != "a-test-token" || o.ServerName != "nats-1" || o.LameDuckDuration <= 0 {
			t.Errorf("%s: JetStream %v, %d routes, cluster %q, token %q, name %q, lame duck %v; want JetStream, 3 routes, a cluster, the token, the server's name and a lame duck time",
				f, o.JetStream, len(o.Routes), o.Cluster.Name, o.Authorization, o.ServerName, o.LameDuckDuration)
		}
	}
}

// The load balancer's configuration passes HAProxy's own check (haproxy
// -c; the nodes' names resolve only on the compose network, which the
// check says and nothing else).
func TestDeployHAProxy(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy is needed to check deploy/haproxy.cfg (Debian: apt-get install haproxy; .ci/test installs it)")
	}
	b, err := exec.CommandContext(t.Context(), haproxy, "-c", "-f", filepath.Join(deployDir, "haproxy.cfg")).CombinedOutput()
	if err != nil || !bytes.Contains(b, []byte("Configuration file is valid")) {
		t.Fatalf("haproxy -c: %v\n%s", err, b)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if (strings.Contains(line, "[WARNING]") || strings.Contains(line, "[ALERT]")) && !strings.Contains(line, "could not resolve address 'classhub-") {
			t.Errorf("haproxy -c: %s", line)
		}
	}
}
