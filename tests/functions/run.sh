#!/usr/bin/env bash
# tests/functions/run.sh SLUICE DRIVER FNDIR - runs tests/functions/run.py with a python3
# that has numpy (Debian's python3-numpy, installed by scripts/install-deps.sh).
set -u
for py in /usr/bin/python3 python3; do
    if "$py" -c 'import numpy' 2>/dev/null; then
        exec "$py" "$(dirname "$0")/run.py" "$@"
    fi
done
echo "functions: python3 with numpy not found (run scripts/install-deps.sh)"
echo "functions: 0 passed, 1 failed"
exit 1
