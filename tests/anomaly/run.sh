#!/usr/bin/env bash
# tests/anomaly/run.sh SLUICE DRIVER FNDIR PROBE - runs tests/anomaly/run.py with a python3
# that has numpy, scipy and statsmodels (Debian's python3-numpy, python3-scipy and
# python3-statsmodels, installed by scripts/install-deps.sh).
set -u
for py in /usr/bin/python3 python3; do
    if "$py" -c 'import numpy, scipy, statsmodels' 2>/dev/null; then
        exec "$py" "$(dirname "$0")/run.py" "$@"
    fi
done
echo "anomaly: python3 with numpy, scipy and statsmodels not found (run scripts/install-deps.sh)"
echo "anomaly: 0 passed, 1 failed"
exit 1
