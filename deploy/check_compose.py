"""Check 8 of deploy/check.py: deploy/compose.yaml, the quick trial, through `docker compose config`
(the Docker client with the Compose plugin; no engine needed: it only reads and resolves the file).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

COMPOSE = Path(__file__).resolve().parent / "compose.yaml"


def compose_config(extra_env: dict[str, str] | None = None) -> tuple[int, str, str]:
    import os

    env = {**os.environ, **(extra_env or {})}
    run = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    return run.returncode, run.stdout, run.stderr


def check_compose(rep) -> None:
    if shutil.which("docker") is None:
        rep.check("docker compose config", False, "no docker client on PATH")
        return
    code, out, err = compose_config()
    if not rep.check("docker compose config", code == 0, err.strip()[:400]):
        return
    doc = json.loads(out)
    services = doc.get("services", {})
    rep.check("compose services postgres, rabbitmq, hookd",
              {"postgres", "rabbitmq", "hookd"} <= services.keys(), ", ".join(sorted(services)))
    hookd = services.get("hookd", {})
    build = hookd.get("build", {})
    root = COMPOSE.parent.parent
    rep.check("hookd built from deploy/docker/Dockerfile at the repository root",
              Path(build.get("context", "")) == root
              and build.get("dockerfile") == "deploy/docker/Dockerfile", json.dumps(build))
    depends = hookd.get("depends_on", {})
    rep.check("hookd waits for healthy postgres and rabbitmq",
              all(depends.get(s, {}).get("condition") == "service_healthy"
                  for s in ("postgres", "rabbitmq")), json.dumps(depends))
    rep.check("postgres and rabbitmq have health checks",
              all(services.get(s, {}).get("healthcheck", {}).get("test")
                  for s in ("postgres", "rabbitmq")))
    env = hookd.get("environment", {})
    wants = {
        "HOOKD__DATABASE__URL": "@postgres:5432/",
        "HOOKD__AMQP__URL": "@rabbitmq:5672/",
        "HOOKD__INGEST__LISTEN": "0.0.0.0:8080",
    }
    wrong = [k for k, v in wants.items() if v not in (env.get(k) or "")]
    rep.check("hookd reaches postgres and rabbitmq by service name, listens on 8080",
              not wrong, f"wrong: {wrong}" if wrong else "")
    ports = hookd.get("ports", [])
    rep.check("the API published on the host's loopback only",
              any(p.get("target") == 8080 and p.get("host_ip") == "127.0.0.1" for p in ports)
              and all(p.get("host_ip") == "127.0.0.1" for p in ports), json.dumps(ports))
    # The passwords are one setting each: the URLs hookd uses follow the databases' own.
    code, out, err = compose_config({"HOOKD_TRIAL_DB_PASSWORD": "pw-db-9c1",
                                     "HOOKD_TRIAL_MQ_PASSWORD": "pw-mq-4e7"})
    if code == 0:
        services = json.loads(out)["services"]
        env = services["hookd"]["environment"]
        ok = (services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pw-db-9c1"
              and ":pw-db-9c1@" in env["HOOKD__DATABASE__URL"]
              and services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"] == "pw-mq-4e7"
              and ":pw-mq-4e7@" in env["HOOKD__AMQP__URL"])
        rep.check("HOOKD_TRIAL_*_PASSWORD set both sides", ok)
    else:
        rep.check("HOOKD_TRIAL_*_PASSWORD set both sides", False, err.strip()[:400])
