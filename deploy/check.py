#!/usr/bin/env python3
"""Checks everything under deploy/ without a cluster, a Docker daemon or the helm binary.

    pip install -r deploy/requirements.txt
    python3 deploy/check.py

1. chart:      `helm lint --strict` of deploy/helm/hookd (default values, values-production.yaml),
               through helm-python-sdk (Helm's Go SDK, no helm binary).
2. render:     the chart rendered with the default values and with values-production.yaml; a
               value the schema forbids must be refused.
3. kubernetes: every rendered manifest validated with kubernetes-validate (strict: unknown fields
               are errors) against the oldest and newest Kubernetes the chart supports; kinds with
               no schema there (the ServiceMonitor CRD) are warnings.
4. contract:   what the chart must contain (a Deployment, Service, PDB per service, HPA when
               enabled, probes, security context, env, migration hook, labels...).
5. metrics:    every hookd_* metric in deploy/grafana/hookd.json and deploy/prometheus/alerts.yaml
               (less _bucket/_sum/_count) is listed in deploy/metrics.txt.
6. dashboard / alerts: structure checks; with `promtool` on PATH (Debian package `prometheus`)
               also `promtool check rules`, `promtool test rules` and the dashboard's PromQL.
7. image:      deploy/docker/Dockerfile has the expected build, user and entrypoint.
8. compose:    deploy/compose.yaml (the quick trial) resolved by `docker compose config` and
               checked: the three services, the image built from the Dockerfile, health waits
               (deploy/check_compose.py; scripts/deploy-check provides the Compose plugin).

Prints one line per check and a summary; exits 1 when anything failed.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
CHART = DEPLOY / "helm" / "hookd"
PROD_VALUES = DEPLOY / "helm" / "values-production.yaml"
DASHBOARD = DEPLOY / "grafana" / "hookd.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts_test.yaml"
METRICS = DEPLOY / "metrics.txt"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"

RELEASE = "hookd"
NAMESPACE = "hookd"
SERVICES = {"ingest": 8080, "router": 8081, "delivery": 8082}
REQUIRED_ALERTS = [
    "HookdDeliveryFailureRatioHigh",
    "HookdRouterQueueLag",
    "HookdIngest5xx",
    "HookdEndpointsDisabled",
    "HookdServiceDown",
    "HookdRelayActive",
]
STANDARD_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/part-of",
]
CONFIG_KEYS = {
    "HOOKD_PROFILE": "production",
    "HOOKD__INGEST__LISTEN": "0.0.0.0:8080",
    "HOOKD__ROUTER__LISTEN": "0.0.0.0:8081",
    "HOOKD__DELIVERY__LISTEN": "0.0.0.0:8082",
    "HOOKD__DELIVERY__RETRY_SCHEDULE": None,
    "HOOKD__DELIVERY__TIMEOUT": None,
    "HOOKD__DELIVERY__ALLOW_PRIVATE_NETWORKS": "false",
    "HOOKD__LOG__FORMAT": "json",
}
SECRET_KEYS = ["HOOKD__DATABASE__URL", "HOOKD__AMQP__URL", "HOOKD__AUTH__BOOTSTRAP_API_KEY",
               "HOOKD__SECRETS__ENCRYPTION_KEY"]
# The default values render only with an encryption key: it is never generated (issue 14).
TEST_ENCRYPTION_KEY = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1vayE="
DEFAULT_OVERRIDES = {"secrets": {"encryptionKey": TEST_ENCRYPTION_KEY}}
METRIC_RE = re.compile(r"hookd_[a-z_]+")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


class Report:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, str]] = []
        self.warnings: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok, detail))
        mark = "PASS" if ok else "FAIL"
        print(f"  [{mark}] {name}" + (f": {detail}" if detail and not ok else ""))
        if detail and ok:
            print(f"         {detail}")
        return ok

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"  [WARN] {message}")

    @property
    def failed(self) -> list[tuple[str, bool, str]]:
        return [r for r in self.results if not r[1]]


def section(title: str) -> None:
    print(f"\n== {title}")


def import_deps():
    missing = []
    try:
        import helm_python  # noqa: F401
    except ImportError:
        missing.append("helm-python-sdk")
    try:
        import kubernetes_validate  # noqa: F401
    except ImportError:
        missing.append("kubernetes-validate")
    try:
        import yaml  # noqa: F401
    except ImportError:
        missing.append("PyYAML")
    if missing:
        print(f"missing Python packages: {', '.join(missing)}")
        print(f"install them with: pip install -r {DEPLOY / 'requirements.txt'}")
        sys.exit(2)
    import helm_python
    import kubernetes_validate
    import yaml

    return helm_python, kubernetes_validate, yaml


# --------------------------------------------------------------------------------------- chart


def lint(h, rep: Report, label: str, values: dict | None) -> None:
    result = h.lint(str(CHART), values, strict=True, namespace=NAMESPACE)
    errors = list(result.get("errors") or [])
    # strict: warnings (2) and errors (3) fail; infos (1) are shown only.
    for m in result.get("messages") or []:
        sev = m.get("severity", 0)
        text = f"{m.get('path', '')}: {m.get('error', '')}"
        if sev >= 2:
            errors.append(text)
        elif sev == 1:
            print(f"         info: {text}")
    linted = result.get("total_charts_linted", 0)
    rep.check(f"helm lint --strict ({label})", not errors and linted == 1,
              "; ".join(errors) if errors else f"{linted} chart linted")


def render(h, yaml, values: dict | None) -> list[dict]:
    """Render the chart; returns the manifests (hooks included), each with its template path."""
    with h.Chart.load(str(CHART)) as chart:
        files = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(files.items()):
        if not path.endswith((".yaml", ".yml")) or not text.strip():
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["__template__"] = path
                docs.append(doc)
    return docs


def check_key_never_generated(h, yaml, rep: Report) -> None:
    """Without secrets.encryptionKey and with no Secret to look up (as under `helm template`,
    where lookup returns nothing), rendering must fail, not generate a key."""
    try:
        docs = render(h, yaml, None)
        keys = [d["data"].get("HOOKD__SECRETS__ENCRYPTION_KEY") for d in docs
                if d.get("kind") == "Secret" and "data" in d]
        rep.check("no encryption key, no lookup: rendering refused", False,
                  f"rendered with a generated key ({len(keys)} Secrets)")
    except h.HelmError as e:
        text = " ".join(str(e).split())
        rep.check("no encryption key, no lookup: rendering refused",
                  "secrets.encryptionKey" in text, text[:200])


def kind_name(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def validate_manifests(kv, rep: Report, label: str, docs: list[dict], versions: list[str]) -> None:
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

    for version in versions:
        errors, passed, skipped = [], 0, set()
        for doc in docs:
            body = {k: v for k, v in doc.items() if k != "__template__"}
            try:
                kv.validate(body, version, strict=True)
                passed += 1
            except ValidationError as e:
                where = ".".join(str(p) for p in e.path)
                errors.append(f"{kind_name(doc)} ({doc['__template__']}): {where}: {e.message}")
            except SchemaNotFoundError:
                skipped.add(f"{doc['apiVersion']} {doc['kind']}")
        for s in sorted(skipped):
            rep.warn(f"{label}, Kubernetes {version}: no schema for {s} (CRD), not validated")
        rep.check(f"kubernetes-validate --strict, Kubernetes {version} ({label})", not errors,
                  "; ".join(errors) if errors else f"{passed} manifests valid")


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def contract(rep: Report, label: str, docs: list[dict], values: dict) -> None:
    """What the issue asks of the chart, checked on the rendered manifests."""
    problems: list[str] = []
    p = problems.append
    deployments = by_kind(docs, "Deployment")
    services = by_kind(docs, "Service")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    pdbs = by_kind(docs, "PodDisruptionBudget")
    monitors = by_kind(docs, "ServiceMonitor")
    jobs = by_kind(docs, "Job")
    configmaps = by_kind(docs, "ConfigMap")
    secrets = by_kind(docs, "Secret")
    existing_secret = values.get("existingSecret") or ""
    monitors_on = (values.get("serviceMonitor") or {}).get("enabled", False)

    for doc in docs:
        labels = doc.get("metadata", {}).get("labels") or {}
        missing = [k for k in STANDARD_LABELS if k not in labels]
        if missing:
            p(f"{kind_name(doc)} lacks labels {missing}")

    config_name = next((n for n, d in configmaps.items() if "helm.sh/hook" not in
                        (d["metadata"].get("annotations") or {})), None)
    if not config_name:
        p("no ConfigMap")
    else:
        data = configmaps[config_name].get("data") or {}
        for key, want in CONFIG_KEYS.items():
            if key not in data:
                p(f"ConfigMap lacks {key}")
            elif want is not None and data[key] != want:
                p(f"ConfigMap {key}={data[key]!r}, want {want!r}")
    release_secrets = {n: d for n, d in secrets.items()
                       if "helm.sh/hook" not in (d["metadata"].get("annotations") or {})}
    if existing_secret:
        if release_secrets:
            p(f"existingSecret set but the chart creates Secrets {sorted(release_secrets)}")
        secret_name = existing_secret
    else:
        if len(release_secrets) != 1:
            p(f"expected one chart Secret, got {sorted(release_secrets)}")
            secret_name = None
        else:
            secret_name, secret = next(iter(release_secrets.items()))
            for key in SECRET_KEYS:
                if key not in (secret.get("data") or {}):
                    p(f"Secret lacks {key}")
            ann = secret["metadata"].get("annotations") or {}
            if ann.get("helm.sh/resource-policy") != "keep":
                p("the chart Secret lacks helm.sh/resource-policy: keep (uninstall would delete "
                  "the encryption key)")
            want_key = (values.get("secrets") or {}).get("encryptionKey")
            got_key = (secret.get("data") or {}).get("HOOKD__SECRETS__ENCRYPTION_KEY", "")
            if want_key and base64.b64decode(got_key).decode() != want_key:
                p("the chart Secret's HOOKD__SECRETS__ENCRYPTION_KEY is not secrets.encryptionKey")

    for svc, port in SERVICES.items():
        name = f"{RELEASE}-{svc}"
        cfg = values.get(svc) or {}
        dep = deployments.get(name)
        if not dep:
            p(f"no Deployment {name}")
            continue
        spec = dep["spec"]["template"]["spec"]
        c = spec["containers"][0]
        cmd = (c.get("command") or []) + (c.get("args") or [])
        if cmd != ["/usr/local/bin/hookd", svc]:
            p(f"{name}: command {cmd}")
        ports = [x.get("containerPort") for x in c.get("ports") or []]
        if ports != [port]:
            p(f"{name}: ports {ports}, want [{port}]")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            got = ((c.get(probe) or {}).get("httpGet") or {}).get("path")
            if got != path:
                p(f"{name}: {probe} path {got!r}, want {path}")
        env_from = c.get("envFrom") or []
        refs = [(e.get("configMapRef") or {}).get("name") for e in env_from if "configMapRef" in e]
        srefs = [(e.get("secretRef") or {}).get("name") for e in env_from if "secretRef" in e]
        if refs != [config_name] or srefs != [secret_name]:
            p(f"{name}: envFrom {env_from}")
        res = c.get("resources") or {}
        if not res.get("requests") or not res.get("limits"):
            p(f"{name}: resources requests and limits must be set")
        sc = c.get("securityContext") or {}
        psc = spec.get("securityContext") or {}
        want_sc = {"runAsNonRoot": True, "runAsUser": 10001, "readOnlyRootFilesystem": True,
                   "allowPrivilegeEscalation": False}
        for k, v in want_sc.items():
            if sc.get(k) != v:
                p(f"{name}: securityContext.{k}={sc.get(k)!r}, want {v!r}")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            p(f"{name}: capabilities.drop must contain ALL")
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        if seccomp != "RuntimeDefault":
            p(f"{name}: seccompProfile {seccomp!r}")
        autoscaling = (cfg.get("autoscaling") or {}).get("enabled", False)
        if autoscaling and "replicas" in dep["spec"]:
            p(f"{name}: replicas set although the HPA scales it")
        if not autoscaling and dep["spec"].get("replicas") != cfg.get("replicaCount"):
            p(f"{name}: replicas {dep['spec'].get('replicas')}, want {cfg.get('replicaCount')}")

        s = services.get(name)
        if not s:
            p(f"no Service {name}")
        else:
            sport = [x.get("port") for x in s["spec"].get("ports") or []]
            if sport != [port]:
                p(f"Service {name}: ports {sport}")
            sel = s["spec"].get("selector") or {}
            tmpl_labels = dep["spec"]["template"]["metadata"].get("labels") or {}
            if not sel or any(tmpl_labels.get(k) != v for k, v in sel.items()):
                p(f"Service {name}: selector {sel} does not match its pods")
        if autoscaling != (name in hpas):
            p(f"HPA {name}: present={name in hpas}, autoscaling.enabled={autoscaling}")
        elif autoscaling and hpas[name]["spec"]["scaleTargetRef"].get("name") != name:
            p(f"HPA {name}: wrong scaleTargetRef")
        pdb_on = (cfg.get("podDisruptionBudget") or {}).get("enabled", False)
        if pdb_on != (name in pdbs):
            p(f"PDB {name}: present={name in pdbs}, enabled={pdb_on}")
        if monitors_on != (name in monitors):
            p(f"ServiceMonitor {name}: present={name in monitors}, enabled={monitors_on}")
        elif monitors_on:
            eps = monitors[name]["spec"].get("endpoints") or []
            if not eps or eps[0].get("port") != "http" or eps[0].get("path") != "/metrics":
                p(f"ServiceMonitor {name}: endpoints {eps}")

    job = jobs.get(f"{RELEASE}-migrate")
    if (values.get("migration") or {}).get("enabled", True):
        if not job:
            p("no migration Job")
        else:
            ann = job["metadata"].get("annotations") or {}
            if set(ann.get("helm.sh/hook", "").split(",")) != {"pre-install", "pre-upgrade"}:
                p(f"migration Job hook {ann.get('helm.sh/hook')!r}")
            if set(ann.get("helm.sh/hook-delete-policy", "").split(",")) != {
                    "before-hook-creation", "hook-succeeded"}:
                p(f"migration Job delete policy {ann.get('helm.sh/hook-delete-policy')!r}")
            c = job["spec"]["template"]["spec"]["containers"][0]
            if (c.get("command") or []) + (c.get("args") or []) != ["/usr/local/bin/hookd", "migrate"]:
                p("migration Job does not run `hookd migrate`")
            weight = int(ann.get("helm.sh/hook-weight", "0"))
            # Pre-install hooks run before the release's ConfigMap/Secret exist: the Job must read
            # hook copies with a lower weight, or an existing Secret.
            for e in c.get("envFrom") or []:
                ref_kind = "ConfigMap" if "configMapRef" in e else "Secret"
                ref = (e.get("configMapRef") or e.get("secretRef") or {}).get("name")
                if ref_kind == "Secret" and ref == existing_secret and existing_secret:
                    continue
                target = (configmaps if ref_kind == "ConfigMap" else secrets).get(ref)
                t_ann = (target or {}).get("metadata", {}).get("annotations") or {}
                if not target or "pre-install" not in t_ann.get("helm.sh/hook", "") or \
                        int(t_ann.get("helm.sh/hook-weight", "0")) >= weight:
                    p(f"migration Job reads {ref_kind} {ref} that is not a lower-weight "
                      "pre-install hook (it would not exist yet on install)")
    rep.check(f"chart contract ({label})", not problems,
              "; ".join(problems) if problems else
              f"{len(deployments)} Deployments, {len(services)} Services, {len(hpas)} HPAs, "
              f"{len(pdbs)} PDBs, {len(monitors)} ServiceMonitors, {len(jobs)} Job")


# ------------------------------------------------------------------------------------- metrics


def metric_names(text: str) -> set[str]:
    names = set()
    for m in METRIC_RE.findall(text):
        for suffix in HISTOGRAM_SUFFIXES:
            if m.endswith(suffix):
                m = m[: -len(suffix)]
                break
        names.add(m)
    return names


def check_metrics(rep: Report) -> None:
    known = [ln.strip() for ln in METRICS.read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    dupes = sorted({m for m in known if known.count(m) > 1})
    # A service's own prefix, or a subsystem's that spans services (hops run from ingest to
    # delivery; retention and deprovisioning are passes of their own).
    bad = [m for m in known if not re.fullmatch(
        r"hookd_(ingest|router|delivery|gateway|retention|deprovision)_[a-z_]+|hookd_hop_seconds", m)]
    rep.check("deploy/metrics.txt is well formed", not dupes and not bad and known,
              f"duplicates {dupes}, bad names {bad}" if dupes or bad else f"{len(known)} metrics")
    used_total: set[str] = set()
    for path in (DASHBOARD, ALERTS):
        used = metric_names(path.read_text())
        used_total |= used
        unknown = sorted(used - set(known))
        rep.check(f"metrics used in {path.relative_to(DEPLOY.parent)} are in metrics.txt",
                  not unknown and bool(used),
                  f"unknown: {', '.join(unknown)}" if unknown else f"{len(used)} metrics used")
    unused = sorted(set(known) - used_total)
    if unused:
        rep.warn(f"in metrics.txt but on no panel or alert: {', '.join(unused)}")


# ------------------------------------------------------------------------- dashboard, alerts


def check_dashboard(rep: Report) -> list[str]:
    """Returns the dashboard's PromQL expressions."""
    problems = []
    d = json.loads(DASHBOARD.read_text())
    if not 36 <= int(d.get("schemaVersion", 0)) <= 41:
        problems.append(f"schemaVersion {d.get('schemaVersion')}")
    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` Prometheus template variable")
    panels = []
    for p in d.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)):
        problems.append("panel ids are not unique")
    exprs, titles = [], []
    for p in panels:
        if p.get("type") == "row":
            continue
        titles.append(p.get("title", ""))
        if (p.get("datasource") or {}).get("uid") != "${datasource}":
            problems.append(f"panel {p.get('title')!r} does not use ${{datasource}}")
        gp = p.get("gridPos") or {}
        if not all(k in gp for k in "hwxy") or gp["x"] + gp["w"] > 24:
            problems.append(f"panel {p.get('title')!r} gridPos {gp}")
        if not p.get("targets"):
            problems.append(f"panel {p.get('title')!r} has no query")
        for t in p.get("targets", []):
            if (t.get("datasource") or {}).get("uid") != "${datasource}":
                problems.append(f"panel {p.get('title')!r} query does not use ${{datasource}}")
            exprs.append(t.get("expr", ""))
    wanted = {
        "accepted msg/s": r"accepted msg/s",
        "rejected by status": r"rejected by status",
        "ingest latency p50/p99": r"ingest latency",
        "fan-out": r"fan-out",
        "deliveries by status": r"deliveries by status",
        "success ratio": r"success ratio",
        "attempt duration p50/p99": r"attempt duration",
        "end-to-end p50/p99": r"end-to-end p50",
        "retries scheduled": r"retries scheduled",
        "router queue depth": r"router queue depth",
        "relayed messages": r"relayed messages",
        "endpoints disabled": r"endpoints disabled",
        "service up": r"service up",
    }
    for what, pattern in wanted.items():
        if not any(re.search(pattern, t, re.I) for t in titles):
            problems.append(f"no panel for {what}")
    for e in exprs:
        if "histogram_quantile" in e and "_bucket" not in e:
            problems.append(f"histogram_quantile without _bucket: {e}")
    rep.check("grafana dashboard structure", not problems,
              "; ".join(problems) if problems else f"{len(titles)} panels, {len(exprs)} queries")
    return exprs


def check_alerts(rep: Report, yaml) -> None:
    problems = []
    doc = yaml.safe_load(ALERTS.read_text())
    rules = [r for g in doc.get("groups", []) for r in g.get("rules", [])]
    names = [r.get("alert") for r in rules]
    for want in REQUIRED_ALERTS:
        if want not in names:
            problems.append(f"missing alert {want}")
    for r in rules:
        if not r.get("expr"):
            problems.append(f"{r.get('alert')}: no expr")
        if (r.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
            problems.append(f"{r.get('alert')}: severity must be critical, warning or info")
        if not (r.get("annotations") or {}).get("summary"):
            problems.append(f"{r.get('alert')}: no summary")
        if "for" in r and not re.fullmatch(r"(\d+[smhdwy])+", str(r["for"])):
            problems.append(f"{r.get('alert')}: bad for {r['for']!r}")
    up = next((r for r in rules if r.get("alert") == "HookdServiceDown"), {})
    if 'up{job=~"hookd.*"}' not in str(up.get("expr", "")).replace(" ", ""):
        problems.append('HookdServiceDown must watch up{job=~"hookd.*"}')
    rep.check("alert rules structure", not problems,
              "; ".join(problems) if problems else f"{len(rules)} rules")


def promtool_checks(rep: Report, yaml, exprs: list[str]) -> None:
    promtool = shutil.which("promtool")
    if not promtool:
        # A check that cannot run is a failure, not a pass: scripts/deploy-check provides it.
        rep.check("promtool on PATH", False, "run scripts/install-promtool or apt-get install prometheus")
        return

    def run(*args: str) -> tuple[bool, str]:
        out = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)
        return out.returncode == 0, (out.stdout + out.stderr).strip()

    ok, out = run("check", "rules", str(ALERTS))
    rep.check("promtool check rules alerts.yaml", ok, out.splitlines()[-1] if ok else out)
    if ALERT_TESTS.exists():
        ok, out = run("test", "rules", str(ALERT_TESTS))
        rep.check("promtool test rules alerts_test.yaml", ok, "alerts fire as tested" if ok else out)
    # The dashboard's queries, with Grafana's variables replaced, as recording rules.
    subst = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$namespace": ".*"}
    rules = []
    for i, e in enumerate(exprs):
        for k, v in subst.items():
            e = e.replace(k, v)
        rules.append({"record": f"dashboard:query_{i}", "expr": e})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard_rules.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
        ok, out = run("check", "rules", str(path))
    rep.check("promtool parses the dashboard's PromQL", ok,
              f"{len(rules)} queries" if ok else out)


# ------------------------------------------------------------------------------------- image


def check_dockerfile(rep: Report) -> None:
    text = DOCKERFILE.read_text()
    wants = {
        "rust:1-bookworm builder": r"rust:1-bookworm",
        "cargo build --release --locked of the services and hookctl":
            r"cargo build --release --locked -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery -p hookctl",
        "distroless or debian runtime": r"gcr\.io/distroless/cc-debian12:nonroot|debian:bookworm-slim",
        "the binaries in /usr/local/bin": r"hookd-ingest.*hookd-router.*hookd-delivery.*hookctl.*/usr/local/bin/",
        "config/ in /etc/hookd/config": r"COPY\s+config/?\s+/etc/hookd/config",
        "HOOKD_CONFIG_DIR": r"HOOKD_CONFIG_DIR=/etc/hookd/config",
        # The image is production by default: no documented keys, no private networks.
        "HOOKD_PROFILE=production": r"^ENV (.*\\\n)*\s*HOOKD_PROFILE=production\b",
        "USER 10001": r"^USER 10001",
        "ENTRYPOINT hookd": r'^ENTRYPOINT \["/usr/local/bin/hookd"\]',
    }
    missing = [w for w, rx in wants.items() if not re.search(rx, text, re.M)]
    ignore = DOCKERFILE.with_name(DOCKERFILE.name + ".dockerignore")
    if not ignore.exists() or not re.search(r"^/?target/?$", ignore.read_text(), re.M):
        missing.append(f"{ignore.name} excluding target/")
    rep.check("Dockerfile", not missing, f"missing: {', '.join(missing)}" if missing else "")


# --------------------------------------------------------------------------------------- main


def main() -> int:
    started = time.monotonic()
    h, kv, yaml = import_deps()
    rep = Report()
    print(f"hookd deploy check (Helm SDK {h.helm_sdk_version()}, helm-python {h.helm_c_version()}, "
          f"kubernetes-validate {kv.version.__version__})")

    prod_values = h.values_from_yaml(PROD_VALUES.read_text())
    with h.Chart.load(str(CHART)) as chart:
        default_values = chart.merge_values(DEFAULT_OVERRIDES)
        prod_merged = chart.merge_values(prod_values)
        kube_min = re.sub(r"^[>=~^ ]*v?([0-9]+\.[0-9]+).*$", r"\1",
                          chart.metadata.get("kubeVersion") or "")
    versions = sorted({v for v in kv.utils.all_versions()}, key=lambda v: tuple(map(int, v.split("."))))
    oldest_supported = next((v for v in versions if kube_min and v.startswith(kube_min + ".")), versions[0])
    kube_versions = [oldest_supported, versions[-1]]

    section("1. helm lint (strict)")
    lint(h, rep, "default values", DEFAULT_OVERRIDES)
    lint(h, rep, "values-production.yaml", prod_values)

    section("2. helm render")
    rendered = {}
    for label, values, merged in (("default values", DEFAULT_OVERRIDES, default_values),
                                  ("values-production.yaml", prod_values, prod_merged)):
        try:
            docs = render(h, yaml, values)
            rendered[label] = (docs, merged)
            kinds: dict[str, int] = {}
            for d in docs:
                kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
            rep.check(f"render ({label})", bool(docs),
                      ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        except h.HelmError as e:
            rep.check(f"render ({label})", False, str(e))
    check_key_never_generated(h, yaml, rep)
    try:
        render(h, yaml, {"ingest": {"port": "eighty"}, "unknownKey": 1})
        rep.check("values.schema.json refuses bad values", False, "a bad value rendered")
    except h.HelmValuesError as e:
        rep.check("values.schema.json refuses bad values", True,
                  " ".join(str(e).split())[:160])

    section(f"3. kubernetes-validate (Kubernetes {' and '.join(kube_versions)})")
    for label, (docs, _) in rendered.items():
        validate_manifests(kv, rep, label, docs, kube_versions)

    section("4. chart contract")
    for label, (docs, merged) in rendered.items():
        contract(rep, label, docs, merged)

    section("5. metric names (deploy/metrics.txt)")
    check_metrics(rep)

    section("6. dashboard and alerts")
    exprs = check_dashboard(rep)
    check_alerts(rep, yaml)
    promtool_checks(rep, yaml, exprs)

    section("7. image")
    check_dockerfile(rep)

    section("8. compose.yaml (docker compose config)")
    from check_compose import check_compose
    check_compose(rep)

    elapsed = time.monotonic() - started
    passed = len(rep.results) - len(rep.failed)
    print(f"\n{len(rep.warnings)} warnings, {elapsed:.1f}s")
    print(f"{passed} passed, {len(rep.failed)} failed")
    for name, _, detail in rep.failed:
        print(f"  FAILED: {name}: {' '.join(detail.split())[:600]}")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    os.chdir(DEPLOY.parent)
    sys.exit(main())
