#!/usr/bin/env bash
# Audit the locked dependencies (requirements.lock: every package pinned, with hashes)
# for known vulnerabilities with pip-audit (PyPA).
#
# pip-audit needs a vulnerability service: PyPI's per-release JSON API
# (https://pypi.org/pypi/<name>/<version>/json, key "vulnerabilities", fed by the PyPA
# advisory database) or OSV (https://api.osv.dev). Where the service does not answer for
# a package, pip-audit without --strict marks it "skipped" and still prints "No known
# vulnerabilities found" with exit status 0 — an audit of nothing that looks like a pass.
# So this script probes the services first and always runs pip-audit with --strict:
#
#  * a service answers: pip-audit --strict against it; a vulnerability, or a package it
#    could not audit, fails (exit 1);
#  * none answers: says plainly that the dependencies were NOT audited and why, and exits
#    0 (a network without the service must not block every build) — or 1 when
#    FANGKONG_AUDIT_REQUIRED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
AUDIT=.venv/bin/pip-audit
VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("pip-audit"))')

# probe SERVICE: does the service answer a query about pip-audit's own pinned release?
probe() {
  "$PY" - "$1" "$VERSION" <<'PYEOF'
import json, sys, urllib.request
service, version = sys.argv[1], sys.argv[2]
if service == "pypi":
    request = urllib.request.Request(f"https://pypi.org/pypi/pip-audit/{version}/json")
else:
    body = {"package": {"name": "pip-audit", "ecosystem": "PyPI"}, "version": version}
    request = urllib.request.Request(
        "https://api.osv.dev/v1/query", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
try:
    with urllib.request.urlopen(request, timeout=20) as answer:
        ok = answer.status == 200 and (service != "pypi" or "vulnerabilities" in json.load(answer))
except Exception as exc:  # any failure means: no answer
    print(f"  {service}: {type(exc).__name__}: {exc}", file=sys.stderr)
    ok = False
sys.exit(0 if ok else 1)
PYEOF
}

service=""
for candidate in pypi osv; do
  if probe "$candidate"; then service=$candidate; break; fi
done
if [ -z "$service" ]; then
  echo "pip-audit: the dependencies were NOT audited: no vulnerability service answers here"
  echo "  (PyPI's per-release JSON API and api.osv.dev were probed; see the lines above)."
  if [ "${FANGKONG_AUDIT_REQUIRED:-0}" = "1" ]; then exit 1; fi
  exit 0
fi
echo "pip-audit: auditing requirements.lock against the $service vulnerability service"
"$AUDIT" -r requirements.lock --require-hashes --disable-pip --strict \
  --progress-spinner off --vulnerability-service "$service"
